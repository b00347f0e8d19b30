// How the CLI connects to a secured cluster: TLS (trust store, client certificate for mTLS,
// hostname verification) and SASL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER), from a Kafka client
// config file (--command-config, Kafka's property names plus librdkafka's common ones), the
// SAMSA_* variables and the flags — each setting separately, flag over variable over file — mapped
// to the client library's `tls` (node:tls options) and `sasl` options. Files are read and checked
// here (PEM blocks, the key against the certificate) so that a wrong path or password is one clear
// line before any connection. Every secret is handed to rememberSecret, so no line shows it.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { ConnectionOptions as TlsOptions } from "node:tls";
import type { SASLCustomAuthenticator, SASLOptions, saslAuthenticateV2 } from "@platformatic/kafka";
import type { Args } from "./args.ts";
import { AuthenticationRefused, ClientConfigError, rememberSecret, UsageError } from "./errors.ts";
import { jaasLogin, parseJaasConfig, unsecuredToken } from "./jaas.ts";
import type { JaasLogin } from "./jaas.ts";
import { readPropertiesFile, readTextFile } from "./properties.ts";

export const securityProtocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = (typeof securityProtocols)[number];
export const saslMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

type SaslAuthenticateResponse = saslAuthenticateV2.SaslAuthenticateResponse;

/** The largest PEM file read (a trust store with a few hundred CAs is well below it). */
const pemBytesMax = 1024 * 1024;

/** Security settings as the command line or the environment gives them (unset: undefined). */
export interface SecurityInputs {
  readonly commandConfig?: string;
  readonly securityProtocol?: string;
  readonly saslMechanism?: string;
  readonly saslUsername?: string;
  readonly saslPassword?: string;
  /** An OAUTHBEARER token (environment only: a secret). */
  readonly saslToken?: string;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** The client key's passphrase (environment only: a secret). */
  readonly tlsKeyPassword?: string;
  readonly tlsInsecure?: boolean;
}
type InputName = keyof SecurityInputs;

/** The flag of each input (undefined: environment only). */
const flagNames: Readonly<Record<InputName, string | undefined>> = {
  commandConfig: "command-config",
  securityProtocol: "security-protocol",
  saslMechanism: "sasl-mechanism",
  saslUsername: "sasl-username",
  saslPassword: "sasl-password",
  saslToken: undefined,
  tlsCa: "tls-ca",
  tlsCert: "tls-cert",
  tlsKey: "tls-key",
  tlsKeyPassword: undefined,
  tlsInsecure: "tls-insecure",
};

/** The environment variable of each input, next to $SAMSA_BROKERS. */
export const securityEnvironment: Readonly<Record<InputName, string>> = {
  commandConfig: "SAMSA_COMMAND_CONFIG",
  securityProtocol: "SAMSA_SECURITY_PROTOCOL",
  saslMechanism: "SAMSA_SASL_MECHANISM",
  saslUsername: "SAMSA_SASL_USERNAME",
  saslPassword: "SAMSA_SASL_PASSWORD",
  saslToken: "SAMSA_SASL_TOKEN",
  tlsCa: "SAMSA_TLS_CA",
  tlsCert: "SAMSA_TLS_CERT",
  tlsKey: "SAMSA_TLS_KEY",
  tlsKeyPassword: "SAMSA_TLS_KEY_PASSWORD",
  tlsInsecure: "SAMSA_TLS_INSECURE",
};

/** Every variable the client commands read ($SAMSA_BROKERS too): `samsa start` must not take them as broker settings. */
export const clientEnvironmentVariables: readonly string[] = ["SAMSA_BROKERS", ...Object.values(securityEnvironment)];

type TextInput = Exclude<InputName, "tlsInsecure">;
type MutableInputs = { -readonly [K in TextInput]?: string } & { tlsInsecure?: boolean };
const textInputs = Object.keys(securityEnvironment).filter((n): n is TextInput => n !== "tlsInsecure");
/** Secrets are taken as they are; other values are trimmed. */
const secretInputs: ReadonlySet<InputName> = new Set(["saslPassword", "saslToken", "tlsKeyPassword"]);

/** The inputs given as flags. */
export function securityFlags(args: Args): SecurityInputs {
  const out: MutableInputs = {};
  for (const input of textInputs) {
    const flag = flagNames[input];
    const value = flag === undefined ? undefined : args.string(flag);
    if (value !== undefined) out[input] = value;
  }
  if (args.flag("tls-insecure")) out.tlsInsecure = true;
  return out;
}

/** The inputs given as environment variables (empty ones are unset). */
export function securityEnv(env: Readonly<Record<string, string | undefined>>): SecurityInputs {
  const out: MutableInputs = {};
  for (const input of textInputs) {
    const value = env[securityEnvironment[input]];
    if (value === undefined || value.trim() === "") continue;
    out[input] = secretInputs.has(input) ? value : value.trim();
  }
  const insecure = env[securityEnvironment.tlsInsecure]?.trim().toLowerCase();
  if (insecure !== undefined && insecure !== "") {
    if (!["1", "true", "yes", "0", "false", "no"].includes(insecure))
      throw new UsageError(
        `$${securityEnvironment.tlsInsecure} must be true or false, got ${JSON.stringify(insecure)}`,
      );
    if (["1", "true", "yes"].includes(insecure)) out.tlsInsecure = true;
  }
  return out;
}

/** What the client library is given, plus what the file says about the bootstrap brokers. */
export interface ClientSecurity {
  readonly protocol: SecurityProtocol;
  readonly tls: TlsOptions | undefined;
  readonly sasl: SASLOptions | undefined;
  /** `bootstrap.servers` from the command config, if any. */
  readonly bootstrapServers: string | undefined;
  /** Lines for stderr (e.g. that certificate verification is off). */
  readonly warnings: readonly string[];
}

/** A setting's value and where it came from, for messages that say where to fix it. */
interface Sourced<T> {
  readonly value: T;
  readonly from: string;
  readonly inFile: boolean;
}

/**
 * Resolves the security settings: per setting, the flag, else the variable, else the command
 * config file. Throws UsageError (2) for wrong flags or variables and ClientConfigError (5) for a
 * file that cannot be used.
 */
export function resolveSecurity(flags: SecurityInputs, env: SecurityInputs, now: () => number): ClientSecurity {
  const pick = <K extends InputName>(name: K): Sourced<NonNullable<SecurityInputs[K]>> | undefined => {
    const flag = flags[name];
    if (flag !== undefined) return { value: flag, from: `--${flagNames[name] ?? name}`, inFile: false };
    const fromEnv = env[name];
    if (fromEnv !== undefined) return { value: fromEnv, from: `$${securityEnvironment[name]}`, inFile: false };
    return undefined;
  };
  for (const secret of [flags.saslPassword, env.saslPassword, flags.saslToken, env.saslToken, env.tlsKeyPassword])
    if (secret !== undefined) rememberSecret(secret);
  const configPath = pick("commandConfig");
  const file =
    configPath === undefined ? new Map<string, string>() : readPropertiesFile(configPath.value, configPath.from);
  for (const key of ["sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.truststore.password"]) {
    const secret = file.get(key);
    if (secret !== undefined) rememberSecret(secret);
  }
  // An empty value is unset, as for Kafka's optional settings.
  const fromFile = (key: string): Sourced<string> | undefined => {
    const value = file.get(key);
    return value === undefined || value === "" ? undefined : { value, from: key, inFile: true };
  };
  // Except where empty means something (ssl.endpoint.identification.algorithm=).
  const fileRaw = (key: string): Sourced<string> | undefined => {
    const value = file.get(key);
    return value === undefined ? undefined : { value, from: key, inFile: true };
  };
  const invalid = (setting: Sourced<unknown>, why: string): Error =>
    setting.inFile
      ? new ClientConfigError(`${setting.from} in the command config: ${why}`)
      : new UsageError(`${setting.from}: ${why}`);

  // The protocol: given, else as Kafka (PLAINTEXT) unless TLS or SASL flags/variables ask for more.
  const given = (names: readonly InputName[]): Sourced<unknown>[] =>
    names.map((n) => pick(n)).filter((s): s is Sourced<NonNullable<SecurityInputs[InputName]>> => s !== undefined);
  const tlsGiven = given(["tlsCa", "tlsCert", "tlsKey", "tlsInsecure"]);
  const saslGiven = given(["saslMechanism", "saslUsername"]);
  const protocolSetting = pick("securityProtocol") ?? fromFile("security.protocol");
  let protocol: SecurityProtocol;
  if (protocolSetting !== undefined) {
    const upper = protocolSetting.value.trim().toUpperCase();
    if (!(securityProtocols as readonly string[]).includes(upper))
      throw invalid(
        protocolSetting,
        `expected one of ${securityProtocols.join(", ")}, got ${JSON.stringify(protocolSetting.value)}`,
      );
    protocol = upper as SecurityProtocol;
  } else {
    const transport = tlsGiven.length === 0 ? "PLAINTEXT" : "SSL";
    protocol = saslGiven.length === 0 ? transport : `SASL_${transport}`;
  }
  const usesTls = protocol === "SSL" || protocol === "SASL_SSL";
  const usesSasl = protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL";
  // A flag that cannot apply is a mistake; a variable may be set for other clusters and is ignored.
  const tlsFlag = tlsGiven.find((s) => s.from.startsWith("--"));
  const saslFlag = saslGiven.find((s) => s.from.startsWith("--"));
  if (!usesTls && tlsFlag !== undefined)
    throw new UsageError(`${tlsFlag.from} needs a TLS security protocol (SSL or SASL_SSL), not ${protocol}`);
  if (!usesSasl && saslFlag !== undefined)
    throw new UsageError(
      `${saslFlag.from} needs a SASL security protocol (SASL_SSL or SASL_PLAINTEXT), not ${protocol}`,
    );

  const warnings: string[] = [];
  const tls = usesTls ? resolveTls(pick, fromFile, fileRaw, invalid, warnings) : undefined;
  const sasl = usesSasl ? resolveSasl(pick, fromFile, invalid, now) : undefined;
  return { protocol, tls, sasl, bootstrapServers: fromFile("bootstrap.servers")?.value, warnings };
}

type Pick = <K extends InputName>(name: K) => Sourced<NonNullable<SecurityInputs[K]>> | undefined;
type FromFile = (key: string) => Sourced<string> | undefined;
type Invalid = (setting: Sourced<unknown>, why: string) => Error;

// ---------------------------------------------------------------------------------------------- SASL

function resolveSasl(pick: Pick, fromFile: FromFile, invalid: Invalid, now: () => number): SASLOptions {
  for (const key of [
    "sasl.login.callback.handler.class",
    "sasl.client.callback.handler.class",
    "sasl.oauthbearer.token.endpoint.url",
  ]) {
    const set = fromFile(key);
    if (set !== undefined)
      throw invalid(set, "is not supported (for OAUTHBEARER, give the token in $SAMSA_SASL_TOKEN)");
  }
  const jaasSetting = fromFile("sasl.jaas.config");
  const jaas: JaasLogin | undefined =
    jaasSetting === undefined ? undefined : jaasLogin(parseJaasConfig(jaasSetting.value));
  const mechanismSetting =
    pick("saslMechanism") ??
    fromFile("sasl.mechanism") ??
    fromFile("sasl.mechanisms") ??
    (jaas?.kind === "oauthbearer"
      ? { value: "OAUTHBEARER", from: "sasl.jaas.config", inFile: true }
      : jaas?.kind === "password" && jaas.module === "plain"
        ? { value: "PLAIN", from: "sasl.jaas.config", inFile: true }
        : undefined);
  if (mechanismSetting === undefined)
    throw new UsageError(
      `a SASL security protocol needs a mechanism: --sasl-mechanism ${saslMechanisms.join("|")} (or sasl.mechanism in --command-config)`,
    );
  const mechanism = mechanismSetting.value.trim().toUpperCase();
  if (mechanism === "GSSAPI")
    throw invalid(
      mechanismSetting,
      "GSSAPI (Kerberos) is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
    );
  if (!(saslMechanisms as readonly string[]).includes(mechanism))
    throw invalid(
      mechanismSetting,
      `expected one of ${saslMechanisms.join(", ")}, got ${JSON.stringify(mechanismSetting.value)}`,
    );

  if (mechanism === "OAUTHBEARER") {
    const given = pick("saslToken");
    if (given !== undefined) {
      rememberSecret(given.value);
      return { mechanism, token: given.value.trim(), authenticate: oauthBearerAuthenticator({}) };
    }
    if (jaas?.kind === "oauthbearer" && jaas.unsecured !== undefined) {
      const login = jaas.unsecured;
      // A fresh token for every login, so re-authentication (KIP-368) never sends an expired one.
      const token = (): string => {
        const made = unsecuredToken(login, now());
        rememberSecret(made);
        return made;
      };
      return {
        mechanism,
        token,
        authenticate: oauthBearerAuthenticator(Object.fromEntries(jaas.unsecured.extensions)),
      };
    }
    if (jaas?.kind === "oauthbearer")
      throw new ClientConfigError(
        "sasl.jaas.config: OAuthBearerLoginModule without unsecuredLogin* options fetches tokens from an identity provider, which the CLI does not; give the token in $SAMSA_SASL_TOKEN",
      );
    throw new UsageError(
      "OAUTHBEARER needs a token: $SAMSA_SASL_TOKEN, or sasl.jaas.config with OAuthBearerLoginModule's unsecuredLoginStringClaim_sub in --command-config",
    );
  }

  const fromJaas = jaas?.kind === "password" ? jaas : undefined;
  const username = pick("saslUsername")?.value ?? fromFile("sasl.username")?.value ?? fromJaas?.username;
  const password = pick("saslPassword")?.value ?? fromFile("sasl.password")?.value ?? fromJaas?.password;
  if (jaas?.kind === "oauthbearer" && (username === undefined || password === undefined))
    throw new ClientConfigError(
      `sasl.jaas.config: ${mechanism} needs PlainLoginModule or ScramLoginModule (username, password), not OAuthBearerLoginModule`,
    );
  if (username === undefined || username === "")
    throw new UsageError(
      `SASL ${mechanism} needs a user name: --sasl-username, $SAMSA_SASL_USERNAME, or sasl.jaas.config in --command-config`,
    );
  if (password === undefined)
    throw new UsageError(
      `SASL ${mechanism} needs a password: $SAMSA_SASL_PASSWORD (keeps it out of shell history), --sasl-password, or sasl.jaas.config in --command-config`,
    );
  rememberSecret(password);
  return { mechanism: mechanism as SaslMechanism, username, password };
}

/**
 * The OAUTHBEARER exchange (RFC 7628). The client library's own takes the broker's error challenge
 * (a JSON status, sent with error code 0) for success and then finds the connection closed; this
 * one answers the challenge with the %x01 the RFC asks for, so the broker ends the exchange with
 * SASL_AUTHENTICATION_FAILED and its message, as for the other mechanisms.
 */
export function oauthBearerAuthenticator(extensions: Readonly<Record<string, string>>): SASLCustomAuthenticator {
  return (_mechanism, connection, authenticate, _username, _password, tokenProvider, callback) => {
    const run = async (): Promise<SaslAuthenticateResponse> => {
      const token = typeof tokenProvider === "function" ? await tokenProvider() : (tokenProvider ?? "");
      const pairs = Object.entries(extensions)
        .map(([k, v]) => `${k}=${v}\x01`)
        .join("");
      const response = await authenticate.async(connection, Buffer.from(`n,,\x01auth=Bearer ${token}\x01${pairs}\x01`));
      if (response.authBytes.length === 0) return response;
      const challenge = response.authBytes.toString("utf8");
      await authenticate.async(connection, Buffer.from([1]));
      // A broker that accepts after an error challenge breaks the RFC: refuse all the same.
      throw new AuthenticationRefused(`the broker refused the OAUTHBEARER token: ${challenge}`);
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

// ---------------------------------------------------------------------------------------------- TLS

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

/** The PEM blocks of a text (`-----BEGIN X----- … -----END X-----`), in order. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]{1,64})-----[\r\n]+([A-Za-z0-9+/=\s:,-]*?)-----END \1-----/g)) {
    blocks.push({ label: m[1] ?? "", text: m[0] });
  }
  return blocks;
}

const keyLabels = new Set([
  "PRIVATE KEY",
  "RSA PRIVATE KEY",
  "EC PRIVATE KEY",
  "ENCRYPTED PRIVATE KEY",
  "DSA PRIVATE KEY",
]);

/** PEM material read from a file or a setting, by where it came from. */
interface PemSource {
  readonly what: string;
  readonly blocks: readonly PemBlock[];
}

function pemFromFile(path: string, what: string): PemSource {
  const text = readTextFile(path, what, pemBytesMax);
  return { what: `${what} ${path}`, blocks: pemBlocks(text) };
}

/** A Java key or trust store location with its type: PEM only (JKS and PKCS12 must be converted). */
function storeFile(
  location: Sourced<string>,
  type: Sourced<string> | undefined,
  kind: "truststore" | "keystore",
): PemSource {
  const declared = type?.value.trim().toUpperCase();
  if (declared !== undefined && declared !== "PEM") {
    const how =
      kind === "truststore"
        ? "keytool -exportcert -rfc -keystore STORE -alias ALIAS > ca.pem, or openssl pkcs12 -in STORE -nokeys > ca.pem"
        : "openssl pkcs12 -in STORE -nodes > client.pem (key and certificate chain; keytool -importkeystore converts JKS to PKCS12 first)";
    throw new ClientConfigError(
      `ssl.${kind}.type ${declared} is not supported: convert the ${kind === "truststore" ? "trust" : "key"} store to PEM (${how}) and set ssl.${kind}.type=PEM`,
    );
  }
  const source = pemFromFile(location.value, location.from);
  // Kafka's default type is JKS; a PEM file without ssl.*.type=PEM is read as PEM all the same.
  if (source.blocks.length === 0)
    throw new ClientConfigError(
      `${source.what} holds no PEM data (a JKS or PKCS12 store?): convert it to PEM and set ssl.${kind}.type=PEM`,
    );
  return source;
}

function certificatesOf(source: PemSource): string[] {
  const certificates = source.blocks.filter((b) => b.label === "CERTIFICATE").map((b) => b.text);
  if (certificates.length === 0) throw new ClientConfigError(`${source.what} holds no PEM certificate`);
  for (const certificate of certificates) {
    try {
      new X509Certificate(certificate);
    } catch {
      throw new ClientConfigError(`${source.what} holds a certificate that cannot be read`);
    }
  }
  return certificates;
}

function keyOf(source: PemSource): string | undefined {
  const keys = source.blocks.filter((b) => keyLabels.has(b.label));
  if (keys.length > 1) throw new ClientConfigError(`${source.what} holds more than one private key`);
  return keys[0]?.text;
}

function resolveTls(
  pick: Pick,
  fromFile: FromFile,
  fileRaw: FromFile,
  invalid: Invalid,
  warnings: string[],
): TlsOptions {
  const options: TlsOptions = {};
  // The trust store: the CAs the broker's certificate must chain to (default: Node's public CAs).
  const caFlag = pick("tlsCa");
  const caInline = fromFile("ssl.truststore.certificates");
  const caLocation = fromFile("ssl.truststore.location");
  const caLibrdkafka = fromFile("ssl.ca.location");
  let trust: PemSource | undefined;
  if (caFlag !== undefined) trust = pemFromFile(caFlag.value, caFlag.from);
  else if (caInline !== undefined) trust = { what: "ssl.truststore.certificates", blocks: pemBlocks(caInline.value) };
  else if (caLocation !== undefined) trust = storeFile(caLocation, fromFile("ssl.truststore.type"), "truststore");
  else if (caLibrdkafka !== undefined && caLibrdkafka.value !== "probe")
    trust = pemFromFile(caLibrdkafka.value, caLibrdkafka.from);
  if (trust !== undefined) options.ca = certificatesOf(trust).join("\n");

  // The client certificate (mTLS): a certificate chain and its private key.
  const certFlag = pick("tlsCert");
  const keyFlag = pick("tlsKey");
  let chain: PemSource | undefined;
  let keySource: PemSource | undefined;
  if (certFlag !== undefined || keyFlag !== undefined) {
    if (certFlag === undefined)
      throw new UsageError(`${keyFlag?.from ?? "--tls-key"} needs --tls-cert FILE (the certificate)`);
    chain = pemFromFile(certFlag.value, certFlag.from);
    keySource = keyFlag === undefined ? chain : pemFromFile(keyFlag.value, keyFlag.from);
    if (keyOf(keySource) === undefined) {
      if (keyFlag === undefined) throw new UsageError(`${certFlag.from} holds no private key: add --tls-key FILE`);
      throw new ClientConfigError(`${keySource.what} holds no PEM private key`);
    }
  } else {
    const inlineKey = fromFile("ssl.keystore.key");
    const inlineChain = fromFile("ssl.keystore.certificate.chain");
    const keystore = fromFile("ssl.keystore.location");
    const certLocation = fromFile("ssl.certificate.location");
    const keyLocation = fromFile("ssl.key.location");
    if (inlineKey !== undefined || inlineChain !== undefined) {
      if (inlineKey === undefined || inlineChain === undefined)
        throw new ClientConfigError("ssl.keystore.key and ssl.keystore.certificate.chain go together");
      chain = { what: "ssl.keystore.certificate.chain", blocks: pemBlocks(inlineChain.value) };
      keySource = { what: "ssl.keystore.key", blocks: pemBlocks(inlineKey.value) };
    } else if (keystore !== undefined) {
      chain = storeFile(keystore, fromFile("ssl.keystore.type"), "keystore");
      keySource = chain;
    } else if (certLocation !== undefined || keyLocation !== undefined) {
      if (certLocation === undefined || keyLocation === undefined)
        throw new ClientConfigError("ssl.certificate.location and ssl.key.location go together");
      chain = pemFromFile(certLocation.value, certLocation.from);
      keySource = pemFromFile(keyLocation.value, keyLocation.from);
    }
    if (keySource !== undefined && keyOf(keySource) === undefined)
      throw new ClientConfigError(`${keySource.what} holds no PEM private key`);
  }
  if (chain !== undefined && keySource !== undefined) {
    const certificates = certificatesOf(chain);
    const key = keyOf(keySource) ?? "";
    const passphraseSetting = pick("tlsKeyPassword") ?? fromFile("ssl.key.password");
    const passphrase = passphraseSetting?.value;
    if (passphrase !== undefined) rememberSecret(passphrase);
    let keyObject: KeyObject;
    try {
      keyObject = createPrivateKey({ key, format: "pem", ...(passphrase === undefined ? {} : { passphrase }) });
    } catch {
      throw new ClientConfigError(
        `the private key in ${keySource.what} cannot be read: ${passphrase === undefined ? "is it encrypted? give its passphrase in $SAMSA_TLS_KEY_PASSWORD or ssl.key.password" : "wrong passphrase, or not a private key"}`,
      );
    }
    if (!new X509Certificate(certificates[0] ?? "").checkPrivateKey(keyObject))
      throw new ClientConfigError(
        `the private key in ${keySource.what} does not belong to the certificate in ${chain.what}`,
      );
    options.cert = certificates.join("\n");
    options.key = key;
    if (passphrase !== undefined) options.passphrase = passphrase;
  }

  // Verification: hostname (Kafka's ssl.endpoint.identification.algorithm, "" turns it off) and chain.
  const endpoint = fileRaw("ssl.endpoint.identification.algorithm");
  const algorithm = endpoint?.value.trim().toLowerCase() ?? "https";
  if (algorithm === "" || algorithm === "none") options.checkServerIdentity = () => undefined;
  else if (algorithm !== "https" && endpoint !== undefined)
    throw invalid(
      endpoint,
      `expected https or empty (no hostname verification), got ${JSON.stringify(endpoint.value)}`,
    );
  const insecure = pick("tlsInsecure");
  const unverified = fromFile("enable.ssl.certificate.verification");
  if (insecure?.value === true || unverified?.value.trim().toLowerCase() === "false") {
    options.rejectUnauthorized = false;
    options.checkServerIdentity = () => undefined;
    warnings.push(
      `warning: the broker's TLS certificate is not verified (${insecure === undefined ? "enable.ssl.certificate.verification=false" : insecure.from}): anyone on the way can read and change the traffic`,
    );
  }
  return options;
}
