// Reading AES-256 key material from config text: 32 bytes as 64 hex digits or as base64 (standard or URL-safe,
// padded or not). Surrounding whitespace is ignored, since key files usually end with a line break. Nothing
// here ever puts the key text into a message.

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
export const KEY_BYTES = 32;

/** The 32 key bytes, or undefined when `text` is not 32 bytes of hex or base64. */
export function parseKeyMaterial(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!BASE64.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
}
