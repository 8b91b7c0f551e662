// Types for scripts/import-graph.mjs (plain JavaScript, so the report script runs without a build).
export interface SourceFile {
  file: string;
  part: string;
  test: boolean;
  lines: string[];
}
export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}
export interface CrossPartEdge extends ImportEdge {
  fromPart: string;
  toPart: string;
}
export interface ArchitectureRule {
  from: string[];
  to: string[] | '*';
  except?: string[];
  why: string;
}
export function partOf(file: string): string;
export function isTestFile(file: string): boolean;
export function readImportGraph(root: string): { files: Map<string, SourceFile>; edges: ImportEdge[] };
export function fileCycles(edges: ImportEdge[], options?: { includeTypeOnly?: boolean }): string[][];
export function crossPartEdges(edges: ImportEdge[]): CrossPartEdge[];
export function mutualPairs(edges: ImportEdge[]): [string, string][];
export function forbiddenImports(edges: ImportEdge[], rules: ArchitectureRule[]): (CrossPartEdge & { rule: ArchitectureRule })[];
