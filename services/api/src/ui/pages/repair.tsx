import type { Ui } from '../index.tsx';

export function registerRepairPages(_ui: Ui): void {}
