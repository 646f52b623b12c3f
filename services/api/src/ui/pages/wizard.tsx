import type { Ui } from '../index.tsx';

export function registerWizard(_ui: Ui): void {}
