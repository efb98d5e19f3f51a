// authentication.k8s.io/v1: TokenRequest, the body of serviceaccounts/token.
import { Time, topLevel } from './meta.js';
import { int64, list, ref, req, string, struct } from './dsl.js';

const AUTHN = 'io.k8s.api.authentication.v1';

export const BoundObjectReference = struct(`${AUTHN}.BoundObjectReference`, 'An object a token is bound to.', {
  apiVersion: string('API version of the referent.'),
  kind: string('Kind of the referent: Pod, Secret or Node.'),
  name: string('Name of the referent.'),
  uid: string('UID of the referent.'),
});

export const TokenRequestSpec = struct(`${AUTHN}.TokenRequestSpec`, 'What a token is requested for.', {
  audiences: req(list('string', 'Audiences the token is meant for.')),
  boundObjectRef: ref(BoundObjectReference, 'Object the token lives no longer than.'),
  expirationSeconds: int64('Requested lifetime in seconds.'),
});

export const TokenRequestStatus = struct(`${AUTHN}.TokenRequestStatus`, 'The issued token.', {
  expirationTimestamp: req(ref(Time, 'When the token expires.')),
  token: req(string('The token.')),
});

export const TokenRequest = topLevel(
  'authentication.k8s.io',
  'v1',
  'TokenRequest',
  'Requests a token for a service account.',
  {
    spec: req(ref(TokenRequestSpec, 'What the token is for.')),
    status: ref(TokenRequestStatus, 'The issued token.'),
  },
);
