import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadWorkerConfig } from '../src/config/env.ts';

describe('configuration', () => {
  it('names every wrong or missing variable', () => {
    let error: unknown;
    try {
      loadApiConfig({ DATABASE_URL: 'not a url', API_PORT: '99999' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('API_PORT');
    expect(message).toContain('SYNCBRIDGE_ENCRYPTION_KEYS');
  });

  it('applies defaults', () => {
    const cfg = loadWorkerConfig({ DATABASE_URL: 'postgres://u@h/db', SYNCBRIDGE_ENCRYPTION_KEYS: 'k:abc' });
    expect(cfg).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'syncbridge', LOG_LEVEL: 'info' });
  });
});
