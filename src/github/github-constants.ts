/** The public API; GitHub Enterprise Server sets GITHUB_API_URL to `https://HOST/api/v3`. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
