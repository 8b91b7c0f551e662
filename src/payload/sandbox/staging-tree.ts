import { SandboxError } from './errors.js';

export type TreeNode = { kind: 'directory' } | { kind: 'file' } | { kind: 'symlink'; target: string };

/** Symlink expansions allowed while resolving one path, as the kernel's MAXSYMLINKS. */
const MAX_SYMLINK_HOPS = 40;

/**
 * What has been extracted so far, by relative path. Every decision about links is made against
 * this model, not the filesystem, so nothing on disk is ever followed while checking.
 */
export class StagingTree {
  readonly #nodes = new Map<string, TreeNode>([['', { kind: 'directory' }]]);

  get(components: readonly string[]): TreeNode | undefined {
    return this.#nodes.get(components.join('/'));
  }

  set(components: readonly string[], node: TreeNode): void {
    this.#nodes.set(components.join('/'), node);
  }

  /** Remove a non-directory before it is replaced. */
  delete(components: readonly string[]): void {
    this.#nodes.delete(components.join('/'));
  }

  symlinks(): [string, string][] {
    const out: [string, string][] = [];
    for (const [key, node] of this.#nodes) if (node.kind === 'symlink') out.push([key, node.target]);
    return out;
  }

  /**
   * Whether the symlink at `linkPath` with `target` stays inside the root when resolved against
   * the tree, expanding every symlink it passes through. Components not extracted (yet) count as
   * plain directories, which can only make the check stricter than the kernel's.
   */
  symlinkEscapes(linkPath: readonly string[], target: string): boolean {
    if (target.startsWith('/')) return true;
    const stack = linkPath.slice(0, -1);
    const pending = target.split('/');
    let hops = 0;
    while (pending.length > 0) {
      const component = pending.shift()!;
      if (component === '' || component === '.') continue;
      if (component === '..') {
        if (stack.length === 0) return true;
        stack.pop();
        continue;
      }
      stack.push(component);
      const node = this.get(stack);
      if (node?.kind === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS || node.target.startsWith('/')) return true;
        stack.pop();
        pending.unshift(...node.target.split('/'));
      }
    }
    return false;
  }

  /** Refuse any symlink that, in the final tree, resolves outside the root (a later link can redirect an earlier one). */
  assertNoSymlinkEscapes(): void {
    for (const [key, target] of this.symlinks()) {
      if (this.symlinkEscapes(key.split('/'), target)) {
        throw new SandboxError('symlink-escape', `symlink to ${JSON.stringify(target)} resolves outside the sandbox`, { entry: key });
      }
    }
  }
}
