// The access token is kept per hub URL, so one browser can hold tokens for several hubs.

const PREFIX = 'teamhub:access-token:';

export function hubUrl(): string {
  return window.location.origin;
}

export function storageKey(): string {
  return PREFIX + hubUrl();
}

export function loadAccessToken(): string | null {
  try {
    return window.localStorage.getItem(storageKey());
  } catch {
    return null;
  }
}

export function saveAccessToken(token: string): void {
  try {
    window.localStorage.setItem(storageKey(), token);
  } catch {
    // storage disabled: the login lasts for this page only
  }
}

export function clearAccessToken(): void {
  try {
    window.localStorage.removeItem(storageKey());
  } catch {
    // nothing stored
  }
}
