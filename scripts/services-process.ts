/**
 * The backend services of `make run` in one Node process (TEAMHUB_SERVICE_PROCESSES=one, the
 * default): auth, then session and machine. Each runs its own main unchanged, with its own gRPC
 * server on the loopback port the launcher gave it, and they call each other over gRPC as
 * separate processes do; only the Node runtime (about 45 MiB of RSS each, before any JS) is
 * shared. The notify service (with the Telegram bot) runs in a process of its own (see
 * hub-processes.ts). Containers still run one service per container.
 */
import { hostServicesInThisProcess } from '../lib/service-main.js';

hostServicesInThisProcess();
// Auth first: on a first start it writes the internal secret file the others read at start.
await import('../services/auth/main.js');
await Promise.all([import('../services/session/main.js'), import('../services/machine/main.js')]);
process.stdout.write('TEAMHUB_READY services\n');
