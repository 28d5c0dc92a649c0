// Tests that start the service with `npm start` run dist/; build it once here, before the test
// files run in parallel, so it is current.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
