// Requests the client library has no API for (or decodes only in part): encoded and decoded with
// @samsa/protocol's codecs, sent over the library's own connection to a broker (same pool, same
// timeouts, same authentication), so the CLI needs no second network stack.
import { Writer as LibraryWriter } from "@platformatic/kafka";
import type { Admin, Broker } from "@platformatic/kafka";
import { apiSpecs, isFlexible, Reader, responseHeaderVersion, Writer } from "@samsa/protocol";
import type { ApiKey, Input, RequestByKey, ResponseByKey } from "@samsa/protocol";

/** Sends one request to `broker` and decodes its response body (error codes are left to the caller). */
export async function sendRaw<K extends ApiKey>(
  admin: Admin,
  broker: Broker,
  request: { apiKey: K; apiVersion: number; body: Input<RequestByKey[K]> },
): Promise<ResponseByKey[K]> {
  const { apiKey, apiVersion, body } = request;
  const connection = await admin.connections.get(broker);
  const spec = apiSpecs[apiKey];
  return new Promise((resolve, reject) => {
    connection.send<ResponseByKey[K]>(
      apiKey,
      apiVersion,
      () => {
        const w = new Writer(256);
        spec.encodeRequest(w, apiVersion, body);
        return LibraryWriter.create().append(Buffer.from(w.toBytes()));
      },
      (_correlationId, _apiKey, _apiVersion, reader) => {
        // The library has read the size, the correlation id and (flexible headers) the tag buffer.
        const bytes = reader.buffer.slice(reader.position, reader.length);
        return spec.decodeResponse(new Reader(bytes), apiVersion);
      },
      isFlexible(apiKey, apiVersion),
      responseHeaderVersion(apiKey, apiVersion) === 1,
      (error, response) => {
        if (error !== null && error !== undefined) reject(error);
        else if (response === undefined) reject(new Error(`no response to ${spec.name} v${apiVersion}`));
        else resolve(response);
      },
    );
  });
}
