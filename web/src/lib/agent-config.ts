// What each agent (HAPI's session "flavor") lets a teammate switch: permission modes, models and
// effort levels, as HAPI 0.30.7 defines them. Codex's models come from the machine's catalog.

export const PERMISSION_MODES: Record<string, string[]> = {
  claude: ['default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan'],
  codex: ['default', 'read-only', 'safe-yolo', 'yolo'],
  gemini: ['default', 'read-only', 'safe-yolo', 'yolo'],
  kimi: ['default', 'read-only', 'safe-yolo', 'yolo'],
  copilot: ['default', 'read-only', 'safe-yolo', 'yolo'],
  grok: ['default', 'auto', 'plan', 'bypassPermissions'],
  opencode: ['default', 'plan', 'yolo'],
  cursor: ['default', 'plan', 'ask', 'debug', 'autoReview', 'yolo'],
  agy: ['request-review', 'always-proceed'],
  dsh: [],
  pi: [],
};

export const MODE_LABELS: Record<string, string> = {
  default: 'Ask before acting',
  acceptEdits: 'Accept edits',
  auto: 'Auto',
  bypassPermissions: 'Bypass permissions',
  plan: 'Plan only',
  'read-only': 'Read only',
  'safe-yolo': 'Safe YOLO',
  yolo: 'YOLO',
  ask: 'Ask',
  debug: 'Debug',
  autoReview: 'Auto review',
  'request-review': 'Request review',
  'always-proceed': 'Always proceed',
};

export const CLAUDE_MODELS: Array<[string, string]> = [
  ['sonnet', 'Sonnet'],
  ['sonnet[1m]', 'Sonnet 1M'],
  ['opus', 'Opus'],
  ['opus[1m]', 'Opus 1M'],
  ['fable', 'Fable'],
  ['fable[1m]', 'Fable 1M'],
];

export const GEMINI_MODELS: Array<[string, string]> = [
  ['gemini-3.1-pro-preview', 'Gemini 3.1 Pro Preview'],
  ['gemini-3-flash-preview', 'Gemini 3 Flash Preview'],
  ['gemini-2.5-pro', 'Gemini 2.5 Pro'],
  ['gemini-2.5-flash', 'Gemini 2.5 Flash'],
];

export const CLAUDE_EFFORTS: Array<[string, string]> = [
  ['low', 'Low'],
  ['medium', 'Medium'],
  ['high', 'High'],
  ['xhigh', 'XHigh'],
  ['max', 'Max'],
];

export const AGENTS: Array<[string, string]> = [
  ['claude', 'Claude Code'],
  ['codex', 'Codex'],
  ['gemini', 'Gemini'],
  ['opencode', 'OpenCode'],
  ['cursor', 'Cursor'],
  ['copilot', 'Copilot'],
  ['grok', 'Grok Build'],
  ['kimi', 'Kimi'],
  ['agy', 'Antigravity'],
  ['pi', 'Pi'],
  ['dsh', 'DeepSeek Harness'],
];

export function flavorOf(flavor: unknown): string {
  return typeof flavor === 'string' && flavor ? flavor : 'claude';
}

export function permissionModes(flavor: unknown): string[] {
  return PERMISSION_MODES[flavorOf(flavor)] ?? PERMISSION_MODES.claude!;
}

/** Static model presets for agents whose catalog HAPI keeps in the app; null when it is fetched. */
export function staticModels(flavor: unknown): Array<[string, string]> | null {
  const f = flavorOf(flavor);
  if (f === 'claude') return CLAUDE_MODELS;
  if (f === 'gemini') return GEMINI_MODELS;
  return null;
}

export function supportsModelChange(flavor: unknown): boolean {
  return !['dsh'].includes(flavorOf(flavor));
}

/** Claude, Grok and Pi take `effort`; Codex and OpenCode take a model's reasoning effort. */
export function effortKind(flavor: unknown): 'effort' | 'reasoning' | null {
  const f = flavorOf(flavor);
  if (f === 'claude' || f === 'grok' || f === 'pi') return 'effort';
  if (f === 'codex' || f === 'opencode') return 'reasoning';
  return null;
}

/** Codex, Pi and (ACP) Cursor take a message into the running turn (HAPI's steering). */
export function supportsSteering(metadata: { flavor?: unknown; cursorSessionProtocol?: unknown; cursorSessionId?: unknown } | null | undefined): boolean {
  const f = metadata?.flavor;
  if (f === 'codex' || f === 'pi') return true;
  if (f !== 'cursor') return false;
  if (metadata?.cursorSessionProtocol === 'stream-json') return false;
  return !(!metadata?.cursorSessionProtocol && metadata?.cursorSessionId);
}
