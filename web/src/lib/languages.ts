// Which grammar a code fence or a file name asks for. Kept apart from the highlighter itself so
// the page can name a language without loading highlight.js.

export const LANGUAGES = [
  'bash', 'c', 'cpp', 'csharp', 'css', 'diff', 'dockerfile', 'go', 'ini', 'java', 'javascript', 'json', 'kotlin', 'makefile',
  'markdown', 'php', 'python', 'ruby', 'rust', 'scss', 'sql', 'swift', 'typescript', 'xml', 'yaml',
] as const;

export type Language = (typeof LANGUAGES)[number];

const ALIASES: Record<string, string> = {
  sh: 'bash', shell: 'bash', zsh: 'bash', console: 'bash', js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', py: 'python', rb: 'ruby', rs: 'rust', yml: 'yaml', md: 'markdown',
  html: 'xml', htm: 'xml', svg: 'xml', vue: 'xml', h: 'c', hpp: 'cpp', cc: 'cpp', cs: 'csharp', kt: 'kotlin', toml: 'ini',
  patch: 'diff', docker: 'dockerfile', make: 'makefile', jsonc: 'json',
};

/** The grammar name for a fence language or a file extension, or null when none is known. */
export function languageName(lang: string | null | undefined): Language | null {
  if (!lang) return null;
  const l = lang.toLowerCase();
  const name = ALIASES[l] ?? l;
  return (LANGUAGES as readonly string[]).includes(name) ? (name as Language) : null;
}

export function languageForPath(path: string): Language | null {
  const file = path.split('/').pop() ?? '';
  if (/^dockerfile$/i.test(file)) return 'dockerfile';
  if (/^makefile$/i.test(file)) return 'makefile';
  const ext = file.includes('.') ? file.split('.').pop() : null;
  return languageName(ext);
}

