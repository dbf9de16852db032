import { z } from 'zod';
import type { RouteSpec } from './types.js';

/*
 * Voice (hub/src/web/routes/voice.ts): talking to the agent through ElevenLabs, Gemini Live or
 * Qwen realtime, and speech-to-text through OpenAI, ElevenLabs, Deepgram, Groq or an
 * OpenAI-compatible server. Everything needs provider keys (environment, or stored in
 * settings.json by the owner through PUT …/credentials); this table records what HAPI answers with
 * none configured, which is what teamhub answers. The WebSocket proxies /api/voice/gemini-ws and
 * /api/voice/qwen-ws (`?token=<JWT>`) answer 400 `Gemini API key not configured` /
 * `DashScope API key not configured` as plain text without keys, 401 without a valid token.
 * The test never sends a key: with one, HAPI would call the provider on the internet.
 */

const Status = z.object({ configured: z.boolean(), source: z.enum(['env', 'settings', 'none']), hint: z.string().nullable(), editable: z.boolean() });
const CredentialStatus = z.object({
  openai: Status,
  elevenlabs: Status,
  deepgram: Status,
  groq: Status,
  openaiCompatible: z.object({
    configured: z.boolean(),
    source: z.enum(['env', 'settings', 'none']),
    baseUrl: z.string().nullable(),
    model: z.string().nullable(),
    baseUrlEditable: z.boolean(),
    modelEditable: z.boolean(),
    apiKey: Status,
  }),
  voiceBackends: z.object({ elevenlabs: Status, geminiLive: Status, qwenRealtime: Status }),
});
/** HAPI's owner (the default namespace) or teamhub's admin token (`who: 'admin'`); a namespace gets this. */
const ownerOnly = { kind: 'owner-only', status: 403, body: { error: 'Provider credentials are only available to the hub owner' } } as const;
const hubWide = { kind: 'none', why: 'hub-wide provider configuration, the same for every namespace' } as const;

function audioForm(provider: string): FormData {
  const form = new FormData();
  form.set('provider', provider);
  form.set('file', new File([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3])], 'speech.webm', { type: 'audio/webm' }));
  return form;
}

export const VOICE_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/voice/backend',
    module: 'voice',
    plane: 'web',
    summary: 'Which voice backend the hub offers (VOICE_BACKEND among the configured ones)',
    call: async () => ({}),
    ok: { status: 200, schema: z.object({ backend: z.null(), backends: z.tuple([]) }) },
    configuredOff: '`{"backend":null,"backends":[]}`',
    errors: [],
    foreign: hubWide,
  },
  {
    method: 'GET',
    path: '/api/voice/transcription/providers',
    module: 'voice',
    plane: 'web',
    summary: 'Configured speech-to-text providers',
    call: async () => ({}),
    ok: { status: 200, schema: z.object({ providers: z.tuple([]) }) },
    configuredOff: '`{"providers":[]}`',
    errors: [],
    foreign: hubWide,
  },
  {
    method: 'GET',
    path: '/api/voice/transcription/credentials',
    module: 'voice',
    plane: 'web',
    summary: 'Which provider keys are set and where from (masked hints)',
    call: async () => ({ who: 'admin' }),
    ok: { status: 200, schema: CredentialStatus },
    configuredOff: 'every provider `{configured:false, source:"none", hint:null, editable:true}`',
    errors: [],
    foreign: ownerOnly,
  },
  {
    method: 'PUT',
    path: '/api/voice/transcription/credentials',
    module: 'voice',
    plane: 'web',
    summary: 'Set or clear provider keys in settings.json (null clears; keys set by environment cannot change: 409)',
    call: async () => ({ who: 'admin', body: { openai: null, deepgram: null } }),
    ok: { status: 200, schema: CredentialStatus },
    errors: [
      { status: 400, body: { error: 'Invalid transcription credentials payload' }, when: 'an unknown field (the schema is strict)', call: async () => ({ who: 'admin', body: { whisper: 'k' } }) },
      { status: 409, body: z.object({ error: z.string().regex(/is set by an environment variable/) }), when: 'changing a key that comes from the environment' },
    ],
    foreign: ownerOnly,
  },
  {
    method: 'POST',
    path: '/api/voice/transcription',
    module: 'voice',
    plane: 'web',
    summary: 'Transcribe an audio file (multipart: provider, file ≤ 25 MiB, language, mode standard)',
    call: async () => ({ form: audioForm('openai') }),
    ok: { status: 400, schema: z.object({ error: z.literal('openai transcription is not configured') }) },
    untestedSuccess: { status: 200, schema: z.object({ text: z.string(), language: z.string().optional() }), why: 'needs a provider key; HAPI then calls the provider on the internet' },
    configuredOff: '400 `{"error":"<provider> transcription is not configured"}`',
    errors: [
      { status: 400, body: { error: 'Invalid form data' }, when: 'not multipart', call: async () => ({ body: { provider: 'openai' } }) },
      { status: 400, body: { error: 'Invalid transcription provider' }, when: 'an unknown provider', call: async () => ({ form: audioForm('whisper') }) },
      { status: 413, body: { error: 'Audio file too large' }, when: 'body over 26 MiB' },
    ],
    foreign: hubWide,
  },
  {
    method: 'POST',
    path: '/api/voice/transcription/realtime-token',
    module: 'voice',
    plane: 'web',
    summary: 'A short-lived token for browser realtime transcription (openai, elevenlabs, deepgram)',
    call: async () => ({ body: { provider: 'deepgram', language: 'en' } }),
    ok: { status: 400, schema: z.object({ error: z.literal('deepgram transcription is not configured') }) },
    untestedSuccess: { status: 200, schema: z.object({ token: z.string() }), why: 'needs a provider key (HAPI calls the provider)' },
    configuredOff: '400 `{"error":"<provider> transcription is not configured"}`',
    errors: [
      { status: 400, body: { error: 'Invalid realtime transcription provider' }, when: 'provider not openai/elevenlabs/deepgram', call: async () => ({ body: { provider: 'groq' } }) },
      { status: 400, body: { error: 'Invalid transcription language' }, when: 'language not a BCP 47 tag', call: async () => ({ body: { provider: 'openai', language: 'english!' } }) },
    ],
    foreign: hubWide,
  },
  {
    method: 'POST',
    path: '/api/voice/gemini-token',
    module: 'voice',
    plane: 'web',
    summary: 'Where to open the Gemini Live proxy socket (the key stays on the hub)',
    call: async () => ({ body: {} }),
    ok: { status: 400, schema: z.object({ allowed: z.literal(false), error: z.literal('Gemini API key not configured (set GEMINI_API_KEY or GOOGLE_API_KEY)') }) },
    untestedSuccess: { status: 200, schema: z.object({ allowed: z.literal(true), apiKey: z.literal('proxied'), wsUrl: z.string() }).passthrough(), why: 'needs GEMINI_API_KEY' },
    configuredOff: '400 `{"allowed":false,"error":"Gemini API key not configured (set GEMINI_API_KEY or GOOGLE_API_KEY)"}`',
    errors: [],
    foreign: hubWide,
  },
  {
    method: 'POST',
    path: '/api/voice/qwen-token',
    module: 'voice',
    plane: 'web',
    summary: 'Where to open the Qwen realtime proxy socket',
    call: async () => ({ body: {} }),
    ok: { status: 400, schema: z.object({ allowed: z.literal(false), error: z.literal('DashScope API key not configured (set DASHSCOPE_API_KEY or QWEN_API_KEY)') }) },
    untestedSuccess: { status: 200, schema: z.object({ allowed: z.literal(true), wsUrl: z.string() }), why: 'needs DASHSCOPE_API_KEY' },
    configuredOff: '400 `{"allowed":false,"error":"DashScope API key not configured (set DASHSCOPE_API_KEY or QWEN_API_KEY)"}`',
    errors: [],
    foreign: hubWide,
  },
  {
    method: 'POST',
    path: '/api/voice/token',
    module: 'voice',
    plane: 'web',
    summary: 'An ElevenLabs conversation token (finds or creates the HAPI agent; `voiceId`, `customAgentId`, `customApiKey`)',
    call: async () => ({ body: { voiceId: 'voice-1' } }),
    ok: { status: 400, schema: z.object({ allowed: z.literal(false), error: z.literal('ElevenLabs API key not configured') }) },
    untestedSuccess: { status: 200, schema: z.object({ allowed: z.literal(true), token: z.string(), agentId: z.string() }), why: 'needs an ElevenLabs key; a customApiKey in the body also makes HAPI call ElevenLabs' },
    configuredOff: '400 `{"allowed":false,"error":"ElevenLabs API key not configured"}`',
    errors: [{ status: 400, body: { allowed: false, error: 'Invalid request body' }, when: 'a field of the wrong type', call: async () => ({ body: { voiceId: 7 } }) }],
    foreign: hubWide,
  },
  {
    method: 'GET',
    path: '/api/voice/voices',
    module: 'voice',
    plane: 'web',
    summary: 'ElevenLabs voices to pick from',
    call: async () => ({}),
    ok: { status: 200, schema: z.object({ voices: z.tuple([]) }) },
    configuredOff: '`{"voices":[]}` (also when the provider call fails)',
    errors: [],
    foreign: hubWide,
  },
  {
    method: 'POST',
    path: '/api/voice/telemetry',
    module: 'voice',
    plane: 'web',
    summary: 'The web reports voice session stages; the hub only logs them',
    call: async () => ({ body: { stage: 'connect', message: 'surface test', details: { attempt: 1 } } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [{ status: 400, body: { ok: false, error: 'Invalid telemetry payload' }, when: 'stage or message missing', call: async () => ({ body: { stage: 'x' } }) }],
    foreign: { kind: 'none', why: 'stores nothing' },
  },
];
