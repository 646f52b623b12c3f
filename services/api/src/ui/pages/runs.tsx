import type { Ui } from '../index.tsx';

export function registerRunPages(_ui: Ui): void {}
