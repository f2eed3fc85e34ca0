/**
 * Sealing what the phone holds (WebCrypto only, no storage): docs/phone-data.md.
 *
 * A random 256-bit data secret opens everything. It is kept only wrapped (AES-GCM) under a key
 * derived from the person's PIN (PBKDF2-SHA256, 600,000 iterations, OWASP 2023) and under the
 * device key the server gives out after an online sign-in. From the secret, HKDF derives two
 * non-extractable keys: AES-GCM for the records, and HMAC-SHA-256 for the keyed hashes that
 * index them (a patient id is never stored in plain to look records up by).
 *
 * Every sealed value is bound to where it lives (its "place": a record id, a draft's path, a
 * meta key) as AES-GCM's additional data, so a sealed value moved to another record does not
 * open. Nothing here awaits inside an IndexedDB transaction: callers seal first, then write.
 */

export const PIN_ITERATIONS = 600_000;
const WRAP_LABEL = new TextEncoder().encode("link-worker data secret v1");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A wrapped secret or a PIN did not open: wrong PIN, wrong key, or altered data. */
export class SealBroken extends Error {}

function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Make a new data secret: 32 random bytes, held only as long as it takes to wrap it. */
export function newSecret() {
  return randomBytes(32);
}

/** Derive the key that wraps the data secret from a PIN and its salt (600,000 iterations). */
export async function keyFromPin(pin, salt, iterations = PIN_ITERATIONS) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(pin.normalize("NFC")),
                                                 "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations },
                                 material, { name: "AES-GCM", length: 256 }, false,
                                 ["encrypt", "decrypt"]);
}

/** Turn the server's device key (base64url, 256 bits) into a wrapping key. */
export async function keyFromDevice(base64url) {
  const raw = Uint8Array.from(atob(base64url.replace(/-/g, "+").replace(/_/g, "/")),
                              (c) => c.charCodeAt(0));
  if (raw.length !== 32) throw new SealBroken("The server's device key is not 256 bits.");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Wrap the data secret under a wrapping key: {iv, wrapped}. */
export async function wrapSecret(secret, wrappingKey) {
  const iv = randomBytes(12);
  const wrapped = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: WRAP_LABEL },
                                              wrappingKey, secret);
  return { iv, wrapped };
}

/** Open a wrapped data secret; SealBroken if the key is not the one it was wrapped under. */
export async function unwrapSecret({ iv, wrapped }, wrappingKey) {
  try {
    return new Uint8Array(await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: WRAP_LABEL }, wrappingKey, wrapped));
  } catch {
    throw new SealBroken("That does not open this phone's records.");
  }
}

/** Derive the working keys from the data secret: {aes, mac}, neither extractable. */
export async function workingKeys(secret) {
  const base = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]);
  const hkdf = (info) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32),
                            info: encoder.encode(info) });
  const [aes, mac] = await Promise.all([
    crypto.subtle.deriveKey(hkdf("records v1"), base, { name: "AES-GCM", length: 256 }, false,
                            ["encrypt", "decrypt"]),
    crypto.subtle.deriveKey(hkdf("index v1"), base, { name: "HMAC", hash: "SHA-256" }, false,
                            ["sign"]),
  ]);
  return { aes, mac };
}

/** Seal any JSON value for one place: {iv, ct}. */
export async function seal(keys, place, value) {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(place) },
                                         keys.aes, encoder.encode(JSON.stringify(value)));
  return { iv, ct };
}

/** Open a sealed value for the place it was sealed for. */
export async function unseal(keys, place, box) {
  let plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv,
                                          additionalData: encoder.encode(place) }, keys.aes, box.ct);
  } catch {
    throw new SealBroken(`A sealed value for ${place} does not open.`);
  }
  return JSON.parse(decoder.decode(plain));
}

/** A keyed hash of a text (an id to index by): base64url, the same for the same key and text. */
export async function tag(keys, text) {
  const digest = new Uint8Array(await crypto.subtle.sign("HMAC", keys.mac, encoder.encode(text)));
  return btoa(String.fromCharCode(...digest.subarray(0, 16)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh salt for a PIN. */
export function newSalt() {
  return randomBytes(16);
}
