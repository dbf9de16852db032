// The line protocol between `teamhub run` and the wrapped command.
//   child stdout: `::permission <tool> <json-arguments>`   → a permission request on the hub
//   child stdin:  `::permission-result <id> approved|denied` ← the web's decision

export interface PermissionLine {
  tool: string;
  arguments: unknown;
}

const PREFIX = '::permission ';

/** Parses a `::permission` line; null for any other line. Arguments that are not JSON stay a string. */
export function parsePermissionLine(line: string): PermissionLine | null {
  const trimmed = line.replace(/\r$/, '');
  if (!trimmed.startsWith(PREFIX)) return null;
  const rest = trimmed.slice(PREFIX.length).trim();
  if (!rest) return null;
  const space = rest.search(/\s/);
  const tool = space === -1 ? rest : rest.slice(0, space);
  const argText = space === -1 ? '' : rest.slice(space + 1).trim();
  if (!argText) return { tool, arguments: {} };
  try {
    return { tool, arguments: JSON.parse(argText) as unknown };
  } catch {
    return { tool, arguments: argText };
  }
}

export function permissionResultLine(id: string, approved: boolean): string {
  return `::permission-result ${id} ${approved ? 'approved' : 'denied'}\n`;
}

/** Splits a command string into argv (whitespace, single and double quotes, backslash escapes); no shell. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new Error('unterminated quote in command');
  if (has) out.push(cur);
  return out;
}
