// Imported first by the CLI: caps V8's old space so the heap does not grow with the table. Rows are garbage the
// moment they are written, but V8 grows the heap lazily and a long run would otherwise hold hundreds of MB of dead
// objects (measured: heap up to 200 MB at 1 M rows, against ~60 MB live). Set at run time it only partly binds
// (V8 sized the heap at start), which is why a user's own --max-old-space-size, if given, is left alone.

import { setFlagsFromString } from 'node:v8';

if (!process.execArgv.some((arg) => arg.startsWith('--max-old-space-size'))) {
  setFlagsFromString('--max-old-space-size=160');
}
