// `redis-agent-memory doctor`: the server's capabilities, the vector engine `auto` picks, and the
// risks with their fixes (memory.doctor() and formatDoctorReport). Exit code 1 on an error-level risk.
import type { Command } from 'commander';
import { formatDoctorReport } from '../connection/doctor.js';
import { type GlobalOptions, withMemory } from './connect.js';
import { print } from './output.js';

export function doctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the server: capabilities, the engine `auto` picks, risks and their fixes (exit 1 on an error)')
    .action(async (_options: object, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const report = await withMemory(globals, (memory) => memory.doctor());
      print(globals.json, report, formatDoctorReport);
      if (!report.ok) process.exitCode = 1;
    });
}
