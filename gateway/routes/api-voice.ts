import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import {
  credentialStatus,
  CredentialsUpdateBody,
  MAX_REALTIME_TOKEN_BODY_BYTES,
  MAX_TRANSCRIPTION_BODY_BYTES,
  RealtimeTranscriptionProvider,
  setsAnyKey,
  TelemetryBody,
  TranscriptionLanguage,
  transcriptionFormError,
  VoiceTokenBody,
} from '../hapi/voice-answers.js';
import { requireHubOwner } from '../http/hub-owner.js';
import { routeBodyLimit } from '../http/route-body-limit.js';
import { requireWebCall } from '../http/web-auth.js';

const CREDENTIALS_OWNER_ONLY = 'Provider credentials are only available to the hub owner';
const MULTIPART = 'multipart/form-data';

/** A route-level 413 with HAPI's text for that route; any other error goes to the gateway's handler. */
function tooLarge(text: string) {
  return (err: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    if (err.statusCode === 413) return reply.code(413).send({ error: text });
    throw err;
  };
}

/** Parses a buffered multipart body the way a browser's FormData would (undici's parser), or null. */
async function formDataOf(request: FastifyRequest): Promise<FormData | null> {
  const type = request.headers['content-type'];
  if (!Buffer.isBuffer(request.body) || typeof type !== 'string' || !type.toLowerCase().startsWith(MULTIPART)) return null;
  try {
    return await new Request('http://form.local/', { method: 'POST', headers: { 'content-type': type }, body: request.body }).formData();
  } catch {
    return null;
  }
}

/**
 * HAPI's voice API without any provider configured: teamhub offers no voice backend and no
 * speech-to-text provider, stores no provider keys and never calls a provider, but checks every
 * request exactly as HAPI does and answers HAPI's "not configured" texts. The provider credentials
 * are hub-level (the admin token; a namespace gets HAPI's owner-only 403).
 */
export function registerVoiceRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/voice/backend', async (request) => {
    await requireWebCall(request, deps);
    return { backend: null, backends: [] };
  });

  app.get('/api/voice/transcription/providers', async (request) => {
    await requireWebCall(request, deps);
    return { providers: [] };
  });

  app.get('/api/voice/transcription/credentials', async (request) => {
    await requireHubOwner(request, deps, 'read-voice-credentials', CREDENTIALS_OWNER_ONLY);
    return credentialStatus();
  });

  app.put('/api/voice/transcription/credentials', async (request, reply) => {
    const ctx = await requireHubOwner(request, deps, 'update-voice-credentials', CREDENTIALS_OWNER_ONLY);
    const parsed = CredentialsUpdateBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'Invalid transcription credentials payload' });
    // Clearing is what a hub without keys already is; a key would be stored, which teamhub does not do.
    if (setsAnyKey(parsed.data)) throw new AppError('conflict', 'Voice provider keys are not kept by teamhub');
    ctx.log.info('voice credentials cleared (none are kept)');
    return credentialStatus();
  });

  // The audio form is read as raw bytes in this scope only, so no other route parses multipart.
  void app.register(async (scope) => {
    if (scope.hasContentTypeParser(MULTIPART)) scope.removeContentTypeParser(MULTIPART);
    scope.addContentTypeParser(MULTIPART, { parseAs: 'buffer', bodyLimit: MAX_TRANSCRIPTION_BODY_BYTES }, (_req, body, done) => done(null, body));
    // The audio limit is the multipart parser's own: a route-level bodyLimit would also let a JSON
    // or text body grow past the gateway's limit (and a client declaring more would wait for it).
    scope.post('/api/voice/transcription', { errorHandler: tooLarge('Audio file too large') }, async (request, reply) => {
      await requireWebCall(request, deps);
      const form = await formDataOf(request);
      if (!form) return reply.code(400).send({ error: 'Invalid form data' });
      const checked = transcriptionFormError(form);
      if ('error' in checked) return reply.code(400).send(checked);
      return reply.code(400).send({ error: `${checked.provider} transcription is not configured` });
    });
  });

  app.post('/api/voice/transcription/realtime-token', routeBodyLimit(MAX_REALTIME_TOKEN_BODY_BYTES, deps.cfg.maxBodyBytes, 'Realtime token request too large'), async (request, reply) => {
    await requireWebCall(request, deps);
    const json = (request.body ?? null) as { provider?: unknown; language?: unknown } | null;
    const provider = RealtimeTranscriptionProvider.safeParse(json?.provider);
    const language = TranscriptionLanguage.safeParse(json?.language || undefined);
    if (!provider.success) return reply.code(400).send({ error: 'Invalid realtime transcription provider' });
    if (!language.success) return reply.code(400).send({ error: 'Invalid transcription language' });
    return reply.code(400).send({ error: `${provider.data} transcription is not configured` });
  });

  app.post('/api/voice/gemini-token', async (request, reply) => {
    await requireWebCall(request, deps);
    return reply.code(400).send({ allowed: false, error: 'Gemini API key not configured (set GEMINI_API_KEY or GOOGLE_API_KEY)' });
  });

  app.post('/api/voice/qwen-token', async (request, reply) => {
    await requireWebCall(request, deps);
    return reply.code(400).send({ allowed: false, error: 'DashScope API key not configured (set DASHSCOPE_API_KEY or QWEN_API_KEY)' });
  });

  // HAPI would call ElevenLabs with a `customApiKey` from the body; teamhub calls no provider.
  app.post('/api/voice/token', async (request, reply) => {
    await requireWebCall(request, deps);
    if (!VoiceTokenBody.safeParse(request.body ?? {}).success) return reply.code(400).send({ allowed: false, error: 'Invalid request body' });
    return reply.code(400).send({ allowed: false, error: 'ElevenLabs API key not configured' });
  });

  app.get('/api/voice/voices', async (request) => {
    await requireWebCall(request, deps);
    return { voices: [] };
  });

  app.post('/api/voice/telemetry', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const parsed = TelemetryBody.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ ok: false, error: 'Invalid telemetry payload' });
    // The stage alone: the message and details are the page's words, kept out of the hub's log.
    ctx.log.info({ stage: parsed.data.stage.slice(0, 64) }, 'voice telemetry received');
    return { ok: true };
  });
}
