import { render } from 'preact';
import { App } from './app.js';
import { AuthController } from './lib/auth.js';
import { telegramReady } from './lib/telegram.js';
import { canUseServiceWorker, registerServiceWorker } from './lib/pwa.js';
import './styles.css';

const auth = new AuthController();
render(<App auth={auth} />, document.getElementById('app')!);
telegramReady();
void auth.start();
// The service worker makes the page installable and receives pushes; the page works without it.
if (canUseServiceWorker()) void registerServiceWorker().catch(() => undefined);
