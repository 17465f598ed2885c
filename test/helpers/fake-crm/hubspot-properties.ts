import { randomUUID } from 'node:crypto';
import type { Answer } from './fake-http.js';

/**
 * The properties API of the fake HubSpot (hubspot-server.ts): property definitions and groups,
 * shaped as the Property and PropertyGroup models of HubSpot's CRM properties OpenAPI document
 * (node_modules/@hubspot/api-client/lib/codegen/crm/properties/models), and the error body and
 * batch answer every HubSpot API shares.
 */

export type HubSpotObjectType = 'companies' | 'contacts';

export const CREATED_AT = '2026-01-05T09:00:00.000Z';

export interface HubSpotProperty {
  readonly name: string;
  readonly label: string;
  readonly type: string;
  readonly fieldType: string;
  readonly groupName: string;
  readonly options: readonly { label: string; value: string }[];
}

export function standardProperties(objectType: HubSpotObjectType): Map<string, HubSpotProperty> {
  const group = objectType === 'companies' ? 'companyinformation' : 'contactinformation';
  const text = (name: string, label: string): HubSpotProperty => ({
    name,
    label,
    type: 'string',
    fieldType: 'text',
    groupName: group,
    options: [],
  });
  const list =
    objectType === 'companies'
      ? [text('name', 'Company name'), text('domain', 'Company domain name')]
      : [text('email', 'Email'), text('firstname', 'First name'), text('lastname', 'Last name')];
  return new Map([...list, text('hs_object_id', 'Record ID')].map((p) => [p.name, p]));
}

/** The error body every HubSpot API shares (ModelError in the client: status, message, category...). */
export function error(status: number, category: string, message: string, extra: object = {}): Answer {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

export function propertyBody(p: HubSpotProperty): object {
  return {
    ...p,
    description: '',
    displayOrder: -1,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: p.name === 'email',
    hidden: false,
    formField: false,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    modificationMetadata: {
      archivable: true,
      readOnlyDefinition: false,
      readOnlyValue: p.name === 'hs_object_id',
    },
  };
}

export function createGroup(groups: Set<string>, body: Record<string, unknown>): Answer {
  const { name, label } = body;
  if (typeof name !== 'string' || typeof label !== 'string')
    return error(400, 'VALIDATION_ERROR', 'Group name and label are required.');
  // Handling errors: a conflict with an existing object is 409, category OBJECT_ALREADY_EXISTS.
  if (groups.has(name))
    return error(409, 'OBJECT_ALREADY_EXISTS', `A property group named ${name} already exists.`);
  groups.add(name);
  return { status: 201, body: { name, label, displayOrder: body.displayOrder ?? -1, archived: false } };
}

const PROPERTY_TYPES = new Set(['string', 'number', 'date', 'datetime', 'enumeration', 'bool']);

/** The part of the fake's state the properties API reads and writes. */
interface Definitions {
  readonly properties: Record<HubSpotObjectType, Map<string, HubSpotProperty>>;
  readonly groups: Record<HubSpotObjectType, Set<string>>;
}

export function createProperties(
  state: Definitions,
  objectType: HubSpotObjectType,
  body: Record<string, unknown>,
): Answer {
  const inputs = Array.isArray(body.inputs) ? (body.inputs as Record<string, unknown>[]) : [];
  const results: object[] = [];
  const errors: object[] = [];
  const existing = state.properties[objectType];
  for (const input of inputs) {
    const { name, label, type, fieldType, groupName } = input;
    const fail = (category: string, message: string) =>
      errors.push({ status: 'error', category, message, context: { name: [String(name)] } });
    if ([name, label, type, fieldType, groupName].some((v) => typeof v !== 'string')) {
      fail('VALIDATION_ERROR', 'name, label, type, fieldType and groupName are required.');
    } else if (!PROPERTY_TYPES.has(type as string)) {
      fail('VALIDATION_ERROR', `Invalid type ${String(type)}.`);
    } else if (!state.groups[objectType].has(groupName as string)) {
      fail('VALIDATION_ERROR', `Property group ${String(groupName)} does not exist.`);
    } else if (existing.has(name as string)) {
      fail('OBJECT_ALREADY_EXISTS', `A property named ${String(name)} already exists.`);
    } else {
      const options = Array.isArray(input.options)
        ? (input.options as { label: string; value: string }[])
        : [];
      const property: HubSpotProperty = {
        name: name as string,
        label: label as string,
        type: type as string,
        fieldType: fieldType as string,
        groupName: groupName as string,
        options,
      };
      existing.set(property.name, property);
      results.push(propertyBody(property));
    }
  }
  // The client's BatchApi.create answers 201 (all created) or 207 (some failed, `errors` listing them).
  return batchAnswer(201, results, errors);
}

export function batchAnswer(okStatus: number, results: object[], errors: object[]): Answer {
  const times = { startedAt: new Date().toISOString(), completedAt: new Date().toISOString() };
  if (errors.length === 0) return { status: okStatus, body: { status: 'COMPLETE', results, ...times } };
  return { status: 207, body: { status: 'COMPLETE', results, numErrors: errors.length, errors, ...times } };
}
