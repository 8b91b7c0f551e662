// node-gyp-build ships no types; the pilot uses only its path resolution.
declare module 'node-gyp-build' {
  interface NodeGypBuild {
    (dir: string): unknown;
    /** Path of the build/Release file or the best-matching prebuilds/<platform>-<arch>/ file; throws if none. */
    resolve(dir: string): string;
  }
  const nodeGypBuild: NodeGypBuild;
  export default nodeGypBuild;
}
