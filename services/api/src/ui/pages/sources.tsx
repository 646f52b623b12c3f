import type { Ui } from '../index.tsx';

export function registerSourcePages(_ui: Ui): void {}
