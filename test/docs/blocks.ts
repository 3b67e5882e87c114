/**
 * Fenced code blocks of a Markdown document, with the attributes of their info string.
 *
 * The convention (README.md, "Documentation that runs"): the first word is the language; the rest
 * are attributes the renderer hides:
 *   no-test: <reason>        not run (the reason is required: say why in the text too)
 *   background               started in the session's background; the session goes on once
 *   ready="<command>"        ...this command succeeds (polled)
 *   timeout=<seconds>        per-block bound (default 120)
 * `sh`/`bash` blocks run in one bash session per document, in order; `js` blocks are written to a
 * file and run with node; `json` blocks must parse. Other languages (or none) are text.
 */
export interface Block {
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  noTest?: string;
  background: boolean;
  ready?: string;
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

export function parseInfo(info: string): Omit<Block, 'line' | 'code'> {
  const lang = info.split(/\s/, 1)[0] ?? '';
  const rest = info.slice(lang.length).trim();
  const noTest = /(?:^|\s)no-test:\s*(.+)$/.exec(rest)?.[1]?.trim();
  if (/(?:^|\s)no-test(?:\s|$)/.test(rest) && noTest === undefined)
    throw new Error(`"no-test" needs a reason ("no-test: why") in: ${info}`);
  const ready = /(?:^|\s)ready="([^"]*)"/.exec(rest)?.[1];
  const timeout = /(?:^|\s)timeout=(\d+)/.exec(rest)?.[1];
  return {
    lang,
    background: /(?:^|\s)background(?:\s|$)/.test(rest),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(timeout) * 1000,
    ...(noTest !== undefined && { noTest }),
    ...(ready !== undefined && { ready }),
  };
}

/** Every fenced block (``` or ~~~, not indented more than 3 spaces), in document order. */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i] as string);
    if (open === null) continue;
    const fence = open[1] as string;
    const start = i;
    const body: string[] = [];
    for (
      i++;
      i < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[i] as string);
      i++
    )
      body.push(lines[i] as string);
    out.push({ ...parseInfo((open[2] as string).trim()), line: start + 1, code: `${body.join('\n')}\n` });
  }
  return out;
}

export const RUNNABLE = new Set(['sh', 'bash', 'js', 'json']);
