// Telegram Mini App: Telegram opens the page with its signed initData, either through its script
// (window.Telegram.WebApp.initData) or in the URL (`#tgWebAppData=...` or `?tgWebAppData=...`).

interface TelegramWindow {
  Telegram?: { WebApp?: { initData?: string; ready?: () => void } };
}

export function telegramInitData(): string | null {
  const fromScript = (window as unknown as TelegramWindow).Telegram?.WebApp?.initData;
  if (fromScript) return fromScript;
  for (const raw of [window.location.hash.slice(1), window.location.search.slice(1)]) {
    const value = new URLSearchParams(raw).get('tgWebAppData');
    if (value) return value;
  }
  return null;
}

export function telegramReady(): void {
  (window as unknown as TelegramWindow).Telegram?.WebApp?.ready?.();
}
