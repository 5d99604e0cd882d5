// How many workers poll a task queue for workflow tasks: what `ekm check` reports and what the sandbox
// launcher waits for.
import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export async function workflowPollers(
  connection: ConnectionLike,
  namespace: string,
  taskQueue: string,
): Promise<number> {
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers?.length ?? 0;
}
