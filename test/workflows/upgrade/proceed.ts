// The signal both builds of the upgrade rehearsal wait for (test/production/workerUpgrade.test.ts).
import { defineSignal } from '@temporalio/workflow';

export const proceed = defineSignal('proceed');
