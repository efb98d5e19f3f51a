// The fake runtime against the shared runtime contract, in real time, with the contract's commands
// scripted as behaviours.

import { describeRuntimeContract, CONTRACT_COMMANDS } from '../runtime/contract.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { realClock } from '../../src/util/clock.js';

describeRuntimeContract('fake', async () => {
  const image = 'busybox:contract';
  const runtime = new FakeRuntime({ clock: realClock, images: [image], podNetwork: false });
  runtime
    .behave({ commandIncludes: CONTRACT_COMMANDS.exitZero }, { exitAfterMs: 300, exitCode: 0 })
    .behave({ commandIncludes: CONTRACT_COMMANDS.exitSeven }, { exitAfterMs: 0, exitCode: 7 })
    .behave({ commandIncludes: CONTRACT_COMMANDS.trapTermExit3 }, { onStopSignal: { exitCode: 3 } })
    .behave({ commandIncludes: CONTRACT_COMMANDS.ignoreTerm }, { onStopSignal: 'ignore' })
    // PID 1 of its own namespace: SIGTERM without a handler does nothing.
    .behave({ commandIncludes: CONTRACT_COMMANDS.longSleep.join(' ') }, { onStopSignal: 'ignore' })
    .behave(
      { commandIncludes: CONTRACT_COMMANDS.missingCommand },
      { failStart: `exec: "${CONTRACT_COMMANDS.missingCommand}": executable file not found in $PATH` },
    );
  return {
    runtime,
    image,
    capabilities: { realProcesses: false, pidNamespace: true, network: false, mounts: false },
    cleanup: () => runtime.close(),
  };
});
