/**
 * Loaded with `node --require` before the unit tests: makes `require('vscode')` resolve to the
 * stub, as the real module exists only inside the editor.
 */
import Module from 'node:module';
import * as path from 'node:path';

interface ResolvingModule {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
}

const loader = Module as unknown as ResolvingModule;
const resolve = loader._resolveFilename.bind(loader);
const stub = path.join(__dirname, 'vscodeStub.js');
loader._resolveFilename = (request, parent, isMain, options) =>
  request === 'vscode' ? stub : resolve(request, parent, isMain, options);
