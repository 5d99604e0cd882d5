// Who is calling. The real service learns it from the OAuth token; the fake's clients talk plain gRPC on
// loopback with no token, so the caller names itself in a metadata header, written as an IAM member
// (`serviceAccount:…`, `user:…`, `principal://…`). A call without the header is the project owner: the
// customer's own admin tooling, allowed everything, so setting up a world needs no ceremony.
import type { Metadata } from '@grpc/grpc-js';
import { unauthenticated } from './errors';

export const principalHeader = 'x-ekm-principal';

export interface Caller {
  /** The IAM member the caller is, e.g. `serviceAccount:openai@example.iam.gserviceaccount.com`. */
  member: string;
  /** What Cloud Audit Logs put in authenticationInfo: an email for users and service accounts, the
   *  principal URI (principalSubject) for workload and workforce identity federation. */
  principalEmail?: string;
  principalSubject?: string;
  /** Whether the header was absent (the caller is the fake's owner). */
  anonymousOwner: boolean;
}

const emailMember = /^(user|serviceAccount):([^\s@]+@[^\s@]+)$/;
const federatedMember = /^principal:\/\/[^\s]+$/;

export function callerFromMember(member: string, anonymousOwner = false): Caller {
  const email = emailMember.exec(member);
  if (email) return { member, principalEmail: email[2], anonymousOwner };
  if (federatedMember.test(member)) return { member, principalSubject: member, anonymousOwner };
  throw unauthenticated(
    `${principalHeader} '${member}' is not a principal: use user:EMAIL, serviceAccount:EMAIL or principal://…`,
  );
}

export function callerOf(metadata: Metadata, ownerMember: string): Caller {
  const values = metadata.get(principalHeader);
  if (values.length === 0) return callerFromMember(ownerMember, true);
  if (values.length > 1) throw unauthenticated(`more than one ${principalHeader} header`);
  return callerFromMember(String(values[0]).trim());
}
