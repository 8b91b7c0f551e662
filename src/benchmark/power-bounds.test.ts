import { describe, expect, it } from 'vitest';
import { POWER_BOUNDS, powerProblem } from './power-bounds.js';

describe('powerProblem', () => {
  it('accepts every plausible per-processor figure', () => {
    for (const power of [1, 9.7, 21.4, 47.3, 70, 250]) expect(powerProblem(power, 'x')).toBeNull();
  });
  it("refuses the readings of DIRAC#7760 (up to 2250), zero, negatives and non-numbers, naming the figure's origin", () => {
    expect(powerProblem(2250, 'DB12: measured power')).toBe(
      `DB12: measured power 2250 is outside the sane range ${POWER_BOUNDS.min}..${POWER_BOUNDS.max} per processor`,
    );
    expect(powerProblem(251, 'x')).not.toBeNull();
    expect(powerProblem(0.5, 'x')).not.toBeNull();
    expect(powerProblem(-3, 'x')).not.toBeNull();
    expect(powerProblem(Number.NaN, 'configured CPU power')).toBe('configured CPU power is not a number (NaN)');
    expect(powerProblem(Number.POSITIVE_INFINITY, 'x')).not.toBeNull();
  });
});
