import type { Ui } from '../index.tsx';

export function registerSharePointPages(_ui: Ui): void {}
