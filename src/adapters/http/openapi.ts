// The read API's contract (OpenAPI 3.1, JSON Schema 2020-12), served at /api/v1/openapi.json.
// test/adapters/http/api.test.ts validates the real answers against these schemas.
import { EVENT_TYPES } from '../../domain/events.ts';
import { CAUSES } from '../../domain/causes.ts';
import { STATES } from '../../domain/states.ts';

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Xero Guard read API',
    version: '1.0.0',
    description: `What Xero Guard knows of each Xero connection. Every request needs \`Authorization: Bearer <key>\` with a key from API_KEYS; anything else gets 401 and nothing more. The same facts arrive as signed webhooks (${EVENT_TYPES.join(', ')}).`,
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/connections': {
      get: {
        operationId: 'listConnections',
        summary: 'Every connection, by organisation name',
        responses: {
          '200': { description: 'The connections', content: { 'application/json': { schema: { $ref: '#/components/schemas/ConnectionList' } } } },
          '401': { $ref: '#/components/responses/Unauthorized' },
        },
      },
    },
    '/api/v1/connections/{tenantId}': {
      get: {
        operationId: 'getConnection',
        summary: "One connection, by Xero's tenant id",
        parameters: [{ name: 'tenantId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The connection', content: { 'application/json': { schema: { $ref: '#/components/schemas/Connection' } } } },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '404': { description: 'No connection for this tenant id', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    responses: {
      Unauthorized: { description: 'Missing, wrong or revoked API key', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
    schemas: {
      Error: { type: 'object', additionalProperties: false, required: ['error'], properties: { error: { type: 'string', enum: ['unauthorized', 'not_found'] } } },
      Cause: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'summary', 'description'],
        properties: { code: { type: 'string', enum: [...CAUSES] }, summary: { type: 'string' }, description: { type: 'string', description: 'The cause in plain words' } },
      },
      Incident: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'status', 'cause', 'openedAt', 'brokenSince', 'reconnectRequestedAt', 'resolvedAt'],
        properties: {
          id: { type: 'string' },
          status: { type: 'string', enum: ['open', 'resolved'] },
          cause: { oneOf: [{ $ref: '#/components/schemas/Cause' }, { type: 'null' }] },
          openedAt: time,
          brokenSince: { ...time, description: 'The last good check before the break: re-sync from here' },
          reconnectRequestedAt: nullableTime,
          resolvedAt: nullableTime,
        },
      },
      Connection: {
        type: 'object',
        additionalProperties: false,
        required: ['connectionId', 'organisation', 'state', 'since', 'paused', 'cause', 'lastCheckAt', 'lastGoodCheckAt', 'openIncident', 'syncFrom'],
        properties: {
          connectionId: { type: 'string' },
          organisation: {
            type: 'object',
            additionalProperties: false,
            required: ['tenantId', 'name'],
            properties: { tenantId: { type: 'string' }, name: { type: 'string' } },
          },
          state: { type: 'string', enum: [...STATES] },
          since: { ...time, description: 'When it entered this state' },
          paused: { type: 'boolean' },
          cause: { oneOf: [{ $ref: '#/components/schemas/Cause' }, { type: 'null' }] },
          lastCheckAt: nullableTime,
          lastGoodCheckAt: nullableTime,
          openIncident: { oneOf: [{ $ref: '#/components/schemas/Incident' }, { type: 'null' }] },
          syncFrom: { ...nullableTime, description: 'After the last break was repaired: re-sync from this time' },
        },
      },
      ConnectionList: {
        type: 'object',
        additionalProperties: false,
        required: ['connections'],
        properties: { connections: { type: 'array', items: { $ref: '#/components/schemas/Connection' } } },
      },
    },
  },
} as const;
