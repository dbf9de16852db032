/**
 * HAPI's voice API as a HAPI hub with no provider configured answers it: teamhub
 * keeps no provider keys and never calls a voice or speech-to-text provider, so every provider is
 * "not configured". The request checks are HAPI's, so a client sees the same errors in the same order.
 */
import { z } from 'zod';

type Status = { configured: false; source: 'none'; hint: null; editable: boolean };

const status = (editable: boolean): Status => ({ configured: false, source: 'none', hint: null, editable });

/**
 * Which provider keys are set and where from: none. `editable` is false because teamhub does not
 * store provider keys (HAPI's hub would keep them in its settings file).
 */
export function credentialStatus() {
  return {
    openai: status(false),
    elevenlabs: status(false),
    deepgram: status(false),
    groq: status(false),
    openaiCompatible: { configured: false, source: 'none', baseUrl: null, model: null, baseUrlEditable: false, modelEditable: false, apiKey: status(false) },
    voiceBackends: { elevenlabs: status(false), geminiLive: status(false), qwenRealtime: status(false) },
  };
}

const key = z.string().nullable().optional();
/** HAPI's credentials update: strict, every field optional, null clears. */
export const CredentialsUpdateBody = z
  .object({
    openai: key,
    elevenlabs: key,
    deepgram: key,
    groq: key,
    openaiCompatible: z.object({ baseUrl: key, model: key, apiKey: key }).optional(),
    geminiLive: key,
    qwenRealtime: key,
  })
  .strict();
export type CredentialsUpdate = z.infer<typeof CredentialsUpdateBody>;

/** Does the update set any key (rather than only clearing them)? */
export function setsAnyKey(u: CredentialsUpdate): boolean {
  const values = [u.openai, u.elevenlabs, u.deepgram, u.groq, u.geminiLive, u.qwenRealtime, u.openaiCompatible?.baseUrl, u.openaiCompatible?.model, u.openaiCompatible?.apiKey];
  return values.some((v) => typeof v === 'string' && v.trim() !== '');
}

export const TranscriptionProvider = z.enum(['openai', 'elevenlabs', 'deepgram', 'groq', 'openai-compatible']);
export const RealtimeTranscriptionProvider = z.enum(['openai', 'elevenlabs', 'deepgram']);
export const TranscriptionLanguage = z.string().trim().max(35).regex(/^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i).optional();

export const MAX_TRANSCRIPTION_BYTES = 25 * 1024 * 1024;
export const MAX_TRANSCRIPTION_BODY_BYTES = MAX_TRANSCRIPTION_BYTES + 1024 * 1024;
export const MAX_REALTIME_TOKEN_BODY_BYTES = 8 * 1024;

export const VoiceTokenBody = z.object({ customAgentId: z.string().optional(), customApiKey: z.string().optional(), voiceId: z.string().optional() });

export const TelemetryBody = z.object({
  stage: z.string().min(1),
  message: z.string().min(1),
  sessionId: z.string().optional(),
  voiceId: z.string().optional(),
  language: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** The standard-transcription form checks, in HAPI's order: the first error, or the provider asked for. */
export function transcriptionFormError(form: FormData): { error: string } | { provider: string } {
  const provider = TranscriptionProvider.safeParse(form.get('provider'));
  const mode = form.get('mode');
  const file = form.get('file');
  const languageValue = form.get('language');
  const language = TranscriptionLanguage.safeParse(typeof languageValue === 'string' && languageValue.trim() ? languageValue : undefined);
  if (!provider.success) return { error: 'Invalid transcription provider' };
  if (!language.success) return { error: 'Invalid transcription language' };
  if (mode !== null && mode !== 'standard') return { error: 'This endpoint only accepts standard transcription' };
  if (!(file instanceof File)) return { error: 'Missing audio file' };
  if (file.size === 0 || file.size > MAX_TRANSCRIPTION_BYTES) return { error: `Audio file must be between 1 byte and ${MAX_TRANSCRIPTION_BYTES} bytes` };
  if (file.type && !file.type.startsWith('audio/') && file.type !== 'video/webm' && file.type !== 'video/mp4') return { error: 'Unsupported audio file type' };
  return { provider: provider.data };
}
