/** A ConfigReader over nested plain objects: for tests, and for backends that hold their CS as data. */
import type { ConfigReader } from './dirac-config.js';

export type PlainCfg = { [name: string]: string | PlainCfg };

export function plainConfigReader(root: PlainCfg): ConfigReader {
  const at = (path: string): string | PlainCfg | undefined => {
    let node: string | PlainCfg | undefined = root;
    for (const part of path.split('/').filter(Boolean)) {
      if (node === undefined || typeof node === 'string') return undefined;
      node = node[part];
    }
    return node;
  };
  return {
    value: (path) => {
      const v = at(path);
      return typeof v === 'string' ? v : undefined;
    },
    list: (path) => {
      const v = at(path);
      return typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
    },
    sections: (path) => {
      const v = at(path);
      return v && typeof v === 'object' ? Object.keys(v).filter((k) => typeof v[k] === 'object') : [];
    },
    options: (path) => {
      const v = at(path);
      return v && typeof v === 'object' ? Object.keys(v).filter((k) => typeof v[k] === 'string') : [];
    },
  };
}
