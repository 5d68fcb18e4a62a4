// What a login returns. The token is read only through `.token`: it is kept in a private field,
// so console.log, util.inspect, JSON.stringify, String(), object spread and structuredClone of
// Credentials never carry it, and a logger that serialises the object cannot leak it.

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

class Credentials {
  #token;

  /** @param {{token: string, instance: string, user?: object, permissions?: string[]}} result */
  constructor(result) {
    this.#token = result.token;
    /** The instance's base URL, like https://misskey.io. */
    this.instance = result.instance;
    const user = result.user ?? {};
    /** The account the token belongs to; `host` is null for an account of the instance itself. */
    this.user = Object.freeze({
      id: user.id ?? "",
      username: user.username ?? "",
      host: user.host ?? null,
      name: user.name ?? null,
    });
    /** The permissions asked for. */
    this.permissions = Object.freeze([...(result.permissions ?? [])]);
    Object.freeze(this);
  }

  /** The access token. */
  get token() {
    return this.#token;
  }

  /** The account as `@username@host`. */
  get handle() {
    const host = this.user.host ?? hostOf(this.instance);
    return `@${this.user.username}@${host}`;
  }

  /** Everything but the token, which JSON.stringify must not write by accident. */
  toJSON() {
    return { instance: this.instance, user: this.user, permissions: this.permissions };
  }

  toString() {
    return `Credentials(${this.handle} on ${this.instance})`;
  }

  [INSPECT](_depth, options, inspect) {
    const shown = { ...this.toJSON(), token: "[hidden: read .token]" };
    return `Credentials ${inspect ? inspect(shown, options) : JSON.stringify(shown)}`;
  }
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return String(url);
  }
}

module.exports = { Credentials };
