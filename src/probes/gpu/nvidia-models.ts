/**
 * Compute capability by product name, for when nvidia-smi cannot tell (missing, hung, or a
 * capture with only the driver's /proc files). First match wins, so longer names come first.
 */
const CAPABILITIES: ReadonlyArray<[RegExp, string]> = [
  [/\bGB200\b|\bB200\b|\bB100\b/, '10.0'],
  [/\bGH200\b|\bH200\b|\bH100\b|\bH800\b|\bH20\b/, '9.0'],
  [/\bL40S?\b|\bL4\b|\bRTX 40\d0|\bRTX 6000 Ada/, '8.9'],
  [/\bA100\b|\bA800\b|\bA30\b/, '8.0'],
  [/\bA40\b|\bA10G?\b|\bA16\b|\bA2\b|\bRTX A\d000|\bRTX 30\d0/, '8.6'],
  [/\bT4\b|\bRTX 20\d0|\bQuadro RTX/, '7.5'],
  [/\bV100\b|\bTITAN V\b/, '7.0'],
  [/\bP100\b/, '6.0'],
  [/\bP40\b|\bP4\b|\bGTX 10\d0/, '6.1'],
];

export function computeCapabilityFromName(name: string): string | null {
  for (const [pattern, capability] of CAPABILITIES) if (pattern.test(name)) return capability;
  return null;
}
