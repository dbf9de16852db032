/**
 * zod schemas for HAPI request bodies and queries, used at the gateway edge. JSON documents
 * (metadata, state) stay `unknown`: they are opaque client data that the owning service keeps or
 * answers as null, never interpreted here.
 */
import { z } from 'zod';

/** A key that must be present, with any JSON value (including null). */
const present = () => z.unknown().refine((v) => v !== undefined);
const objectOrNull = z.union([z.record(z.string(), z.unknown()), z.null()]);
const optionalText = z.union([z.string(), z.null()]).optional();

/** HAPI's CreateOrLoadMachineRequestSchema: {id: string≥1, metadata, runnerState?: object|null}. */
export const CliMachineBody = z.object({
  id: z.string().min(1),
  metadata: present(),
  runnerState: objectOrNull.optional(),
});
export type CliMachineBody = z.infer<typeof CliMachineBody>;

/** HAPI's CreateOrLoadSessionRequestSchema: the CLI's `POST /cli/sessions`. */
export const CliSessionBody = z.object({
  id: z.string().uuid().optional(),
  tag: z.string().min(1),
  metadata: present(),
  agentState: objectOrNull.optional(),
  model: optionalText,
  modelReasoningEffort: optionalText,
  effort: optionalText,
  machine: CliMachineBody.optional(),
});
export type CliSessionBody = z.infer<typeof CliSessionBody>;

const intFromQuery = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** `GET /cli/sessions/:id/messages?afterSeq=N&limit=M` (afterSeq required as in HAPI; limit 1..200, default 200). */
export const CliMessagesQuery = z.object({
  afterSeq: intFromQuery(0, Number.MAX_SAFE_INTEGER),
  limit: intFromQuery(1, 200).optional(),
});

/** `POST /api/auth`: exactly one of accessToken or initData. */
export const ApiAuthBody = z.union([z.object({ accessToken: z.string() }), z.object({ initData: z.string() })]);

export const ApiBindBody = z.object({ initData: z.string(), accessToken: z.string() });
export const ApiUnbindBody = z.object({ initData: z.string() });

/** `?limit&before` for audit listings (limit 1..500, default 100). */
export const AuditQuery = z.object({
  limit: intFromQuery(1, 500).optional(),
  before: intFromQuery(0, Number.MAX_SAFE_INTEGER).optional(),
});
export const AdminAuditQuery = AuditQuery.extend({ namespace: z.string().min(1).optional() });

export const AdminCreateNamespaceBody = z.object({ name: z.string().min(1), label: z.string().max(200).optional() });
export const AdminTransferBody = z.object({ namespace: z.string().min(1) });

/**
 * HAPI's socket schema for `machine-update-metadata`: the metadata must be an object with string
 * host, platform and happyCliVersion, else the update is refused with `invalid-request`.
 */
export const MachineMetadataUpdate = z.looseObject({ host: z.string(), platform: z.string(), happyCliVersion: z.string() });
