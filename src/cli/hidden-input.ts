/**
 * One line typed at a terminal without echo, for `secrets set` (the value must never show on screen or sit
 * in argv). Raw mode, so we see each key: Enter or Ctrl-D ends, Backspace erases, Ctrl-C gives up (null).
 */
export async function readHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string | null> {
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve) => {
    let value: string[] = [];
    const finish = (result: string | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      resolve(result);
    };
    const onData = (chunk: string): void => {
      // Arrow and function keys arrive as escape sequences: not part of a secret.
      for (const char of chunk.replace(/\u001b\[[0-9;]*[A-Za-z~]/g, '')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(value.join(''));
        if (char === '\u0003') return finish(null);
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char === '\t' || char >= ' ') value.push(char);
      }
    };
    input.on('data', onData);
  });
}
