import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('passes a prompt answer through', async () => {
    expect(await withDeadline(Promise.resolve(7), 1000, 0)).toBe(7);
  });
  it('gives the fallback, and says so, when the work never answers', async () => {
    let said = false;
    expect(await withDeadline(new Promise<number>(() => undefined), 20, -1, () => (said = true))).toBe(-1);
    expect(said).toBe(true);
  });
  it('lets a rejection through', async () => {
    await expect(withDeadline(Promise.reject(new Error('EIO')), 1000, 0)).rejects.toThrow('EIO');
  });
});
