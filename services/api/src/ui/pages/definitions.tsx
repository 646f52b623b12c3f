import type { Ui } from '../index.tsx';

export function registerDefinitionPages(_ui: Ui): void {}
