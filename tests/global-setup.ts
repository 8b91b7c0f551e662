import { execFileSync } from 'node:child_process';

/** Integration tests run the built bundle as a separate process: build it once, fresh (the only build in `npm test`). */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
