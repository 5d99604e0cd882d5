// How every Google Cloud run names its key: the Cloud KMS key's resource name.
import { z } from 'zod';

/** A Cloud KMS key's resource name: the only way Google Cloud names a key (there are no aliases). */
export const gcpKeyNameField = z
  .string()
  .trim()
  .regex(
    // Project ids may be domain-scoped (example.com:project), hence the dots and colons.
    /^projects\/[a-z][a-z0-9.:-]{0,62}\/locations\/[a-z][a-z0-9-]{0,62}\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}$/,
    'is not a Cloud KMS key name: give projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY',
  );
