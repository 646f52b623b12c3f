import type { Ui } from '../index.tsx';

export function registerApiKeyPages(_ui: Ui): void {}
