// A run on an AWS key, as its record names it: the key's ARN and the role OpenAI assumes.
import type { RunSubjectCommon } from '../../common/runSubject';

export interface AwsRunSubject extends RunSubjectCommon {
  provider: 'aws';
  keyArn: string;
  roleArn: string;
}
