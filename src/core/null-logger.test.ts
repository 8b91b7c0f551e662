import { describe, expect, it } from 'vitest';
import { nullLogger } from './null-logger.js';

describe('nullLogger', () => {
  it('accepts every call the pilot makes and writes nothing', () => {
    const logger = nullLogger();
    const child = logger.child({ job: 1 });
    expect(child).toBe(logger);
    for (const method of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      expect(logger[method]({ secret: 'x' }, 'line')).toBeUndefined();
    }
    expect(logger.isLevelEnabled('error')).toBe(false);
    expect(() => logger.flush()).not.toThrow();
  });
});
