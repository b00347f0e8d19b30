// Listener configuration by Kafka's names: `listeners`, `advertised.listeners`,
// `listener.security.protocol.map`, the TLS settings (PEM key stores and trust stores, client
// auth) and the SASL settings (enabled mechanisms, PlainLoginModule users, the OAUTHBEARER
// validator's options, connections.max.reauth.ms), each overridable per listener with
// `listener.name.<name>.` as Kafka does. Validation errors name the setting.
import { readFileSync } from "node:fs";
import { parseJaasConfig, plainUsers } from "./plain.ts";
import { parsePrincipalMappingRules, PrincipalMappingRulesError } from "./principal-mapping.ts";
import type { PrincipalMapper } from "./principal-mapping.ts";
import { UnsecuredValidatorOptionError, unsecuredValidatorOptions } from "./unsecured-jws.ts";
import type { UnsecuredValidatorOptions } from "./unsecured-jws.ts";

export const securityProtocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = (typeof securityProtocols)[number];

export const saslMechanismNames = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] as const;
export type SaslMechanismName = (typeof saslMechanismNames)[number];

export type ClientAuth = "none" | "requested" | "required";

export interface TlsConfig {
  /** PEM private key and certificate chain, or a PKCS12 bundle. */
  readonly key: string | undefined;
  readonly cert: string | undefined;
  readonly pfx: Buffer | undefined;
  /** Decrypts an encrypted PEM key (ssl.key.password) or the PKCS12 bundle (ssl.keystore.password). */
  readonly passphrase: string | undefined;
  /** PEM trust store: the CAs client certificates must chain to. */
  readonly ca: string | undefined;
  readonly clientAuth: ClientAuth;
  /**
   * ssl.principal.mapping.rules for the certificate principal: SSL listeners only (Kafka reads the
   * setting there; on SASL_SSL the principal comes from the SASL login).
   */
  readonly principalMapper: PrincipalMapper | undefined;
}

export interface SaslConfig {
  readonly mechanisms: readonly SaslMechanismName[];
  /** PLAIN users and passwords from the listener's PlainLoginModule entry. */
  readonly plainUsers: ReadonlyMap<string, string>;
  /** The unsecured OAUTHBEARER validator's options (the listener's OAuthBearerLoginModule entry). */
  readonly oauthBearer: UnsecuredValidatorOptions | undefined;
  /**
   * connections.max.reauth.ms per enabled mechanism (KIP-368): a positive value bounds a login's
   * session; the client must re-authenticate within it. 0 (or less): no bound.
   */
  readonly connectionsMaxReauthMs: ReadonlyMap<SaslMechanismName, number>;
}

export interface ListenerConfig {
  /** The listener name, upper case (PLAINTEXT, SASL_SSL, or any name in the protocol map). */
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  readonly host: string;
  readonly port: number;
  /** What Metadata answers for requests arriving on this listener; undefined: the bound address. */
  readonly advertised: { readonly host: string; readonly port: number } | undefined;
  readonly tls: TlsConfig | undefined;
  readonly sasl: SaslConfig | undefined;
}

export class ListenerConfigError extends Error {
  override readonly name = "ListenerConfigError";
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(message);
    this.setting = setting;
  }
}

const defaultProtocolMap = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";

/** Security settings a listener may override with `listener.name.<name>.<setting>`. */
export const perListenerSecuritySettings: Readonly<Record<string, string>> = {
  "ssl.keystore.type": "JKS",
  "ssl.keystore.location": "",
  "ssl.keystore.password": "",
  "ssl.key.password": "",
  "ssl.keystore.key": "",
  "ssl.keystore.certificate.chain": "",
  "ssl.truststore.type": "JKS",
  "ssl.truststore.location": "",
  "ssl.truststore.password": "",
  "ssl.truststore.certificates": "",
  "ssl.client.auth": "none",
  "ssl.principal.mapping.rules": "DEFAULT",
  "sasl.enabled.mechanisms": "GSSAPI",
  "connections.max.reauth.ms": "0",
  // Accepted only to refuse it with a clear message: Samsa has no JWKS-based token validator.
  "sasl.oauthbearer.jwks.endpoint.url": "",
};

/** The class Kafka uses by default to validate OAUTHBEARER tokens (the only one Samsa has). */
export const unsecuredValidatorClass =
  "org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler";

/** Whether a setting name is one of the security settings (plain or listener-prefixed). */
export function isSecuritySetting(name: string): boolean {
  if (name in perListenerSecuritySettings) return true;
  const m = /^listener\.name\.([a-z0-9_]+)\.(.+)$/.exec(name);
  if (m === null) return false;
  const rest = m[2] ?? "";
  return (
    rest in perListenerSecuritySettings ||
    /^[a-z0-9-]+\.(sasl\.jaas\.config|connections\.max\.reauth\.ms|sasl\.server\.callback\.handler\.class)$/.test(rest)
  );
}

interface Endpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** `NAME://host:port,...`; a bare `host:port` is the PLAINTEXT listener. */
export function parseEndpoints(setting: string, value: string): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const m = /^(?:([A-Za-z0-9_]+):\/\/)?(?:\[([^\]]+)\]|([^:/]*)):(\d+)$/.exec(item);
    if (m === null)
      throw new ListenerConfigError(setting, `expected HOST:PORT (NAME://HOST:PORT), got ${JSON.stringify(item)}`);
    const port = Number(m[4]);
    if (port > 65535) throw new ListenerConfigError(setting, `port ${port} is outside 0..65535`);
    const name = (m[1] ?? "PLAINTEXT").toUpperCase();
    if (endpoints.some((e) => e.name === name)) {
      throw new ListenerConfigError(setting, `listener ${name} appears twice`);
    }
    endpoints.push({ name, host: m[2] ?? m[3] ?? "", port });
  }
  return endpoints;
}

/**
 * Puts `address` in as the PLAINTEXT listener of a `listeners` value (replacing its address, or
 * adding it first): how the `--listen` / `--advertise` shortcuts combine with configured listeners.
 */
export function withPlaintextListener(listeners: string | undefined, address: string): string {
  const items = (listeners ?? "")
    .split(",")
    .map((i) => i.trim())
    .filter((i) => i !== "");
  const isPlaintext = (i: string): boolean => /^plaintext:\/\//i.test(i) || !i.includes("://");
  const rest = items.filter((i) => !isPlaintext(i));
  return [`PLAINTEXT://${address}`, ...rest].join(",");
}

function parseProtocolMap(value: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const [name = "", protocol = ""] = item.split(":").map((p) => p.trim().toUpperCase());
    if (!(securityProtocols as readonly string[]).includes(protocol)) {
      throw new ListenerConfigError(
        "listener.security.protocol.map",
        `unknown security protocol ${JSON.stringify(protocol)} for ${name} (known: ${securityProtocols.join(", ")})`,
      );
    }
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

/**
 * Resolves every listener with its security settings. `get` returns a setting's value or
 * undefined when it was not given.
 */
export function resolveListeners(get: (name: string) => string | undefined): ListenerConfig[] {
  const endpoints = parseEndpoints("listeners", get("listeners") ?? "PLAINTEXT://127.0.0.1:9092");
  if (endpoints.length === 0) throw new ListenerConfigError("listeners", "at least one listener is needed");
  const ports = new Set<number>();
  for (const e of endpoints) {
    if (e.port !== 0 && ports.has(e.port)) throw new ListenerConfigError("listeners", `port ${e.port} is used twice`);
    ports.add(e.port);
  }
  const advertisedValue = get("advertised.listeners") ?? "";
  const advertised = advertisedValue === "" ? [] : parseEndpoints("advertised.listeners", advertisedValue);
  for (const a of advertised) {
    if (!endpoints.some((e) => e.name === a.name)) {
      throw new ListenerConfigError("advertised.listeners", `${a.name} is not one of the listeners`);
    }
  }
  const protocolMap = parseProtocolMap(get("listener.security.protocol.map") ?? defaultProtocolMap);
  return endpoints.map((e) => {
    const protocol = protocolMap.get(e.name);
    if (protocol === undefined) {
      throw new ListenerConfigError(
        "listener.security.protocol.map",
        `no security protocol for listener ${e.name} (add ${e.name}:<protocol>)`,
      );
    }
    const a = advertised.find((x) => x.name === e.name);
    const tls = protocol === "SSL" || protocol === "SASL_SSL" ? tlsConfig(e.name, get, protocol === "SSL") : undefined;
    const sasl = protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL" ? saslConfig(e.name, get) : undefined;
    return {
      name: e.name,
      securityProtocol: protocol,
      host: e.host,
      port: e.port,
      advertised: a === undefined ? undefined : { host: a.host, port: a.port },
      tls,
      sasl,
    };
  });
}

/** A listener's value of a security setting: `listener.name.<name>.<setting>` wins over `<setting>`. */
function listenerSetting(
  listener: string,
  setting: string,
  get: (name: string) => string | undefined,
): { name: string; value: string } {
  const prefixed = `listener.name.${listener.toLowerCase()}.${setting}`;
  const own = get(prefixed);
  if (own !== undefined) return { name: prefixed, value: own };
  return { name: setting, value: get(setting) ?? perListenerSecuritySettings[setting] ?? "" };
}

function readSettingFile(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ListenerConfigError(
      setting,
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function tlsConfig(listener: string, get: (name: string) => string | undefined, mapsPrincipal: boolean): TlsConfig {
  const s = (setting: string): { name: string; value: string } => listenerSetting(listener, setting, get);
  const keystoreType = s("ssl.keystore.type");
  const location = s("ssl.keystore.location");
  const inlineKey = s("ssl.keystore.key");
  const inlineChain = s("ssl.keystore.certificate.chain");
  const keyPassword = s("ssl.key.password").value;
  let key: string | undefined;
  let cert: string | undefined;
  let pfx: Buffer | undefined;
  let passphrase: string | undefined = keyPassword === "" ? undefined : keyPassword;
  const type = keystoreType.value.toUpperCase();
  if (location.value === "" && inlineKey.value === "" && inlineChain.value === "") {
    throw new ListenerConfigError(
      location.name,
      `listener ${listener} uses TLS: set ssl.keystore.type=PEM and ssl.keystore.location ` +
        `(or ssl.keystore.key and ssl.keystore.certificate.chain)`,
    );
  }
  if (type === "PEM") {
    if (inlineKey.value !== "" || inlineChain.value !== "") {
      if (inlineKey.value === "" || inlineChain.value === "") {
        throw new ListenerConfigError(
          inlineKey.name,
          "ssl.keystore.key and ssl.keystore.certificate.chain go together",
        );
      }
      key = inlineKey.value;
      cert = inlineChain.value;
    } else if (location.value !== "") {
      // One PEM file holding the private key and the certificate chain, as Kafka reads it.
      const text = readSettingFile(location.name, location.value).toString("utf8");
      key = pemBlocks(text, /PRIVATE KEY/).join("");
      cert = pemBlocks(text, /^CERTIFICATE$/).join("");
      if (key === "" || cert === "") {
        throw new ListenerConfigError(location.name, "the PEM file needs a private key and a certificate chain");
      }
    } else {
      throw new ListenerConfigError(
        location.name,
        `listener ${listener} uses TLS: set ssl.keystore.location or ssl.keystore.key/certificate.chain`,
      );
    }
  } else if (type === "PKCS12") {
    if (location.value === "") throw new ListenerConfigError(location.name, `listener ${listener} uses TLS: set it`);
    pfx = readSettingFile(location.name, location.value);
    const password = s("ssl.keystore.password").value;
    passphrase = password === "" ? passphrase : password;
  } else {
    throw new ListenerConfigError(keystoreType.name, `${keystoreType.value} is not supported (use PEM or PKCS12)`);
  }
  const truststoreType = s("ssl.truststore.type");
  const trustLocation = s("ssl.truststore.location");
  const trustInline = s("ssl.truststore.certificates");
  let ca: string | undefined;
  if (trustLocation.value !== "" || trustInline.value !== "") {
    if (truststoreType.value.toUpperCase() !== "PEM") {
      throw new ListenerConfigError(truststoreType.name, `${truststoreType.value} is not supported (use PEM)`);
    }
    ca =
      trustInline.value !== ""
        ? trustInline.value
        : readSettingFile(trustLocation.name, trustLocation.value).toString("utf8");
  }
  const clientAuth = s("ssl.client.auth");
  const auth = clientAuth.value.trim().toLowerCase();
  if (auth !== "none" && auth !== "requested" && auth !== "required") {
    throw new ListenerConfigError(clientAuth.name, `expected none, requested or required, got ${clientAuth.value}`);
  }
  if (auth !== "none" && ca === undefined) {
    throw new ListenerConfigError(clientAuth.name, `client authentication needs a trust store (ssl.truststore.*)`);
  }
  let principalMapper: PrincipalMapper | undefined;
  if (mapsPrincipal) {
    const rules = s("ssl.principal.mapping.rules");
    try {
      principalMapper = parsePrincipalMappingRules(rules.value);
    } catch (error) {
      if (error instanceof PrincipalMappingRulesError) throw new ListenerConfigError(rules.name, error.message);
      throw error;
    }
  }
  return { key, cert, pfx, passphrase, ca, clientAuth: auth, principalMapper };
}

function pemBlocks(text: string, label: RegExp): string[] {
  const blocks: string[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----\r?\n?/g;
  for (const m of text.matchAll(re)) if (label.test(m[1] ?? "")) blocks.push(m[0].endsWith("\n") ? m[0] : m[0] + "\n");
  return blocks;
}

function saslConfig(listener: string, get: (name: string) => string | undefined): SaslConfig {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  const enabled = listenerSetting(listener, "sasl.enabled.mechanisms", get);
  const mechanisms = enabled.value
    .split(",")
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== "");
  if (mechanisms.length === 0) throw new ListenerConfigError(enabled.name, "at least one mechanism is needed");
  for (const m of mechanisms) {
    if (!(saslMechanismNames as readonly string[]).includes(m)) {
      throw new ListenerConfigError(
        enabled.name,
        `SASL mechanism ${m} is not supported (supported: ${saslMechanismNames.join(", ")})`,
      );
    }
  }
  const jaas = (mechanism: string): { name: string; text: string | undefined } => {
    const name = `${prefix}${mechanism.toLowerCase()}.sasl.jaas.config`;
    return { name, text: get(name) };
  };
  let users = new Map<string, string>();
  if (mechanisms.includes("PLAIN")) {
    const { name, text } = jaas("PLAIN");
    if (text === undefined) throw new ListenerConfigError(name, "PLAIN is enabled: list its users (user_<name>=...)");
    try {
      users = plainUsers(parseJaasConfig(text));
    } catch (error) {
      throw new ListenerConfigError(name, error instanceof Error ? error.message : String(error));
    }
  }
  const jwks = listenerSetting(listener, "sasl.oauthbearer.jwks.endpoint.url", get);
  if (jwks.value !== "") {
    throw new ListenerConfigError(
      jwks.name,
      "validating OAUTHBEARER tokens against a JWKS endpoint is not supported: Samsa uses Kafka's unsecured " +
        "validator, or a validator the embedding application passes to startBroker (oauthBearerValidator)",
    );
  }
  const unique = [...new Set(mechanisms)] as SaslMechanismName[];
  for (const m of unique) {
    const name = `${prefix}${m.toLowerCase()}.sasl.server.callback.handler.class`;
    const value = (get(name) ?? "").trim();
    if (value !== "" && !(m === "OAUTHBEARER" && value === unsecuredValidatorClass)) {
      throw new ListenerConfigError(
        name,
        `Samsa cannot load Java classes (${value})` +
          (m === "OAUTHBEARER"
            ? ": OAUTHBEARER tokens are checked by Kafka's unsecured validator, or by a validator the embedding " +
              "application passes to startBroker (oauthBearerValidator); JWKS validation is not supported"
            : ""),
      );
    }
  }
  let oauthBearer: UnsecuredValidatorOptions | undefined;
  if (unique.includes("OAUTHBEARER")) {
    // The OAuthBearerLoginModule entry is optional here (Kafka needs one): without it, the defaults.
    const { name, text } = jaas("OAUTHBEARER");
    try {
      oauthBearer = unsecuredValidatorOptions(text === undefined ? new Map() : parseJaasConfig(text).options);
    } catch (error) {
      const message =
        error instanceof UnsecuredValidatorOptionError
          ? `${error.option}: ${error.message}`
          : error instanceof Error
            ? error.message
            : String(error);
      throw new ListenerConfigError(name, message);
    }
  }
  const connectionsMaxReauthMs = new Map<SaslMechanismName, number>();
  for (const m of unique) {
    // Most specific first: listener and mechanism, then the listener, then the broker-wide value.
    const own = `${prefix}${m.toLowerCase()}.connections.max.reauth.ms`;
    const value = get(own);
    const setting =
      value !== undefined ? { name: own, value } : listenerSetting(listener, "connections.max.reauth.ms", get);
    const text = setting.value.trim();
    if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new ListenerConfigError(
        setting.name,
        `expected a number of milliseconds, got ${JSON.stringify(setting.value)}`,
      );
    }
    connectionsMaxReauthMs.set(m, Math.max(0, Number(text)));
  }
  return { mechanisms: unique, plainUsers: users, oauthBearer, connectionsMaxReauthMs };
}
