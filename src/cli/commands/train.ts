import { Option, type Command } from "commander";
import { dotlistLayer, flagLayers, readConfigFile, type ConfigLayer } from "../../config/index.js";
import { renderTokenLengthStats } from "../../curate/training-text/token-stats.js";
import { ConfigError } from "../../errors.js";
import { latestCheckpoint } from "../../train/checkpoints.js";
import { renderDoctorReport, runDoctor } from "../../train/doctor.js";
import { launchRun } from "../../train/launch.js";
import { LAUNCHERS, type Launcher, type SlurmOptions } from "../../train/launch-commands.js";
import { prepareRun } from "../../train/prepare.js";
import {
  M1_TRAIN_DEFAULTS,
  trainSettingsSchema,
  type TrainSettingKey,
} from "../../train/settings.js";
import { choiceFlag, integerFlag } from "../flags.js";
import { interruptSignal } from "../interrupt.js";
import { terminalProgress } from "../progress.js";
import { checkOutputPaths } from "../../io/output-paths.js";

const DEFAULTS = M1_TRAIN_DEFAULTS;

/** `m1 train`: export a run for TRL + accelerate (prepare), start it (launch), check the machine (doctor). */
export function registerTrain(program: Command): void {
  const train = program
    .command("train")
    .description("Fine-tune with TRL's SFTTrainer on accelerate/FSDP: prepare, launch, doctor");
  registerPrepare(train);
  registerLaunch(train);
  registerDoctor(train);
}

interface PrepareFlags {
  data: string;
  model: string;
  out: string;
  config?: string;
  update: string[];
  gpus?: string;
  nodes?: string;
  learningRate?: string;
  numTrainEpochs?: string;
  globalBatchSize?: string;
  blockSize?: string;
  gradientCheckpointing?: boolean;
  decoderLayerClass?: string;
  reportTo?: string;
  tokenizer?: string;
  chatTemplate?: string;
  tokenizerConfig?: string;
  force?: boolean;
  quiet?: boolean;
}

/** Flags that set a training setting, with the setting's key (checked with the key's rules). */
const SETTING_FLAGS: ReadonlyArray<[keyof PrepareFlags, string, TrainSettingKey]> = [
  ["gpus", "--gpus", "gpus"],
  ["nodes", "--nodes", "nodes"],
  ["learningRate", "--learning-rate", "learning_rate"],
  ["numTrainEpochs", "--num-train-epochs", "num_train_epochs"],
  ["globalBatchSize", "--global-batch-size", "global_batch_size"],
  ["blockSize", "--block-size", "block_size"],
  ["gradientCheckpointing", "--gradient-checkpointing", "gradient_checkpointing"],
  ["decoderLayerClass", "--decoder-layer-class", "decoder_layer_class"],
  ["reportTo", "--report-to", "report_to"],
];

function registerPrepare(train: Command): void {
  train
    .command("prepare")
    .description(
      "Write a run folder: TRL dataset, sft.yaml, accelerate.yaml, train.py, launch.sh, run.json",
    )
    .requiredOption(
      "--data <file>",
      "curated rows: m1's columns (prompt, reasoning, distilled_answer_string) or a formatted `text`",
    )
    .requiredOption(
      "--model <name>",
      "base model: hub id (Qwen/Qwen2.5-7B-Instruct) or local folder",
    )
    .requiredOption("--out <dir>", "the run folder to write")
    .option("--gpus <n>", `GPUs per node (default ${DEFAULTS.gpus})`)
    .option("--nodes <n>", `nodes (default ${DEFAULTS.nodes})`)
    .option("-c, --config <file>", "YAML file of training settings (the keys of -u)")
    .option(
      "-u, --update <key=value,...>",
      "override settings, OmegaConf style (repeatable)",
      collect,
      [],
    )
    .option("--learning-rate <x>", `default ${shortNumber(DEFAULTS.learning_rate)}`)
    .option("--num-train-epochs <x>", `default ${DEFAULTS.num_train_epochs}`)
    .option("--global-batch-size <n>", `default ${DEFAULTS.global_batch_size}`)
    .option("--block-size <tokens>", `TRL max_length (default ${DEFAULTS.block_size})`)
    .option("--gradient-checkpointing", "on (default: on above 8B parameters)")
    .option("--no-gradient-checkpointing", "off")
    .option("--decoder-layer-class <name>", "layer FSDP wraps (default: from the model name)")
    .option("--report-to <name>", `none, wandb, tensorboard... (default ${DEFAULTS.report_to})`)
    .option("--tokenizer <file>", "tokenizer.json or .gguf: report rows longer than the block size")
    .option(
      "--chat-template <file>",
      "chat template for counting rows without `text` (.jinja or tokenizer_config.json)",
    )
    .option("--tokenizer-config <file>", "same as --chat-template")
    .option("--force", "rewrite the files of an already prepared run folder")
    .option("-q, --quiet", "no progress bar")
    .addHelpText(
      "after",
      `\nDefaults are m1's: lr ${shortNumber(DEFAULTS.learning_rate)}, ${DEFAULTS.num_train_epochs} epochs, ` +
        `global batch ${DEFAULTS.global_batch_size} (${DEFAULTS.per_device_train_batch_size} per device), ` +
        `weight decay ${shortNumber(DEFAULTS.weight_decay)},\nwarmup ratio ${DEFAULTS.warmup_ratio}, ` +
        `${DEFAULTS.lr_scheduler_type}, Adam betas ${DEFAULTS.adam_beta1}/${DEFAULTS.adam_beta2}, ` +
        `block size ${DEFAULTS.block_size}, bf16, save each ${DEFAULTS.save_strategy}.\n` +
        "Precedence: defaults < -c file < flags < -u. Example:\n" +
        "  m1 train prepare --data m1k.jsonl --model Qwen/Qwen2.5-7B-Instruct --out runs/m1-7b -u learning_rate=2e-5",
    )
    .action(async (flags: PrepareFlags) => {
      const settings: ConfigLayer[] = [
        ...(flags.config
          ? [
              readConfigFile(flags.config, {
                flag: "-c",
                what: "settings file",
                exampleLine: "learning_rate: 1e-5",
              }),
            ]
          : []),
        ...flagLayers(
          trainSettingsSchema,
          SETTING_FLAGS.map(([property, flag, key]) => ({ flag, key, value: flags[property] })),
        ),
        ...flags.update.map((dotlist) => dotlistLayer(dotlist, "-u")),
      ];
      if (flags.chatTemplate && flags.tokenizerConfig) {
        throw new ConfigError("give either --chat-template or --tokenizer-config, not both", {
          key: "--chat-template",
        });
      }
      checkOutputPaths({
        path: flags.out,
        kind: "folder",
        key: "--out",
        example: "--out runs/m1-7b",
      });
      const result = await prepareRun({
        dataPath: flags.data,
        model: flags.model,
        runDir: flags.out,
        settings,
        tokenizerPath: flags.tokenizer,
        chatTemplatePath: flags.chatTemplate ?? flags.tokenizerConfig,
        force: flags.force,
        command: ["m1", ...process.argv.slice(2)],
        progress: terminalProgress({ quiet: flags.quiet }),
        signal: interruptSignal,
      });
      const { manifest } = result;
      const s = manifest.settings;
      const lines = [
        `prepared run '${manifest.run_name}' in ${result.runDir}`,
        `  model ${manifest.model.name} (${manifest.model.family ?? "family unknown"}; FSDP wraps ${s.decoder_layer_class}; pad token ${s.pad_token ?? "the tokenizer's"})`,
        `  data ${manifest.data.rows} rows, ${manifest.data.form} prompt/completion -> dataset.jsonl`,
        `  ${s.nodes} node(s) x ${s.gpus} GPUs; global batch ${s.global_batch_size} = ${s.per_device_train_batch_size} per device x ${manifest.derived.world_size} x ${manifest.derived.gradient_accumulation_steps} accumulation steps`,
        `  lr ${shortNumber(s.learning_rate)}, ${s.num_train_epochs} epochs, ${s.lr_scheduler_type}, warmup ${s.warmup_ratio}, block size ${s.block_size}, gradient checkpointing ${s.gradient_checkpointing ? "on" : "off"}`,
      ];
      if (result.stats) {
        lines.push(...renderTokenLengthStats(result.stats).map((line) => `  ${line}`));
        const ids = manifest.token_lengths?.above_block_size_ids ?? [];
        if (ids.length > 0) {
          lines.push(
            `  ${ids.length} row(s) above the block size will be truncated (their answers cut): ${ids.slice(0, 20).join(", ")}${ids.length > 20 ? ", ..." : ""}`,
          );
        }
      }
      lines.push(
        `next: m1 train doctor, then m1 train launch ${result.runDir} (--dry-run to see the commands)`,
      );
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}

interface LaunchFlags {
  dryRun?: boolean;
  launcher: Launcher;
  nodes?: number;
  nodeRank?: number;
  headAddress?: string;
  headPort?: number;
  slurm?: boolean;
  partition?: string;
  account?: string;
  time?: string;
  mem?: string;
  qos?: string;
  jobName?: string;
  sbatchArg: string[];
  env: string[];
}

function registerLaunch(train: Command): void {
  train
    .command("launch")
    .description("Start a prepared run: here, on one node of several, or through Slurm")
    .argument("<run-dir>", "a folder written by `m1 train prepare`")
    .option("--dry-run", "print the exact commands and environment; run nothing")
    .addOption(
      new Option("--launcher <name>", "accelerate, or torchrun (m1's way)")
        .choices(LAUNCHERS)
        .default("accelerate")
        .argParser(choiceFlag(LAUNCHERS)),
    )
    .option("--nodes <n>", "nodes (must match the prepared run)", integerFlag({ min: 1 }))
    .option("--node-rank <r>", "this node's rank, 0 on the head node", integerFlag({ min: 0 }))
    .option("--head-address <host>", "address of the rank-0 node")
    .option(
      "--head-port <port>",
      `rendezvous port (default ${DEFAULTS.main_process_port})`,
      integerFlag({ min: 1, max: 65535, example: DEFAULTS.main_process_port }),
    )
    .option("--slurm", "write RUN_DIR/slurm.sbatch and submit it with sbatch")
    .option("--partition <name>", "Slurm partition")
    .option("--account <name>", "Slurm account")
    .option("--time <limit>", "Slurm time limit, e.g. 3-00:00:00")
    .option("--mem <size>", "Slurm memory per node, e.g. 256G")
    .option("--qos <name>", "Slurm QOS")
    .option("--job-name <name>", "Slurm job name (default m1-<run>)")
    .option(
      "--sbatch-arg <arg>",
      "another #SBATCH line, e.g. --gres=gpu:8 (repeatable)",
      collect,
      [],
    )
    .option("--env <KEY=VALUE>", "environment for the training processes (repeatable)", collect, [])
    .action(async (runDir: string, flags: LaunchFlags) => {
      const slurmOnly = ["partition", "account", "time", "mem", "qos", "jobName"] as const;
      const stray = slurmOnly.find((key) => flags[key] !== undefined);
      if (!flags.slurm && (stray || flags.sbatchArg.length > 0)) {
        throw new ConfigError("Slurm options need --slurm", {
          key: stray ? `--${kebab(stray)}` : "--sbatch-arg",
          fix: "add --slurm, or drop the Slurm options",
        });
      }
      const slurm: SlurmOptions | undefined = flags.slurm
        ? {
            partition: flags.partition,
            account: flags.account,
            time: flags.time,
            mem: flags.mem,
            qos: flags.qos,
            jobName: flags.jobName,
            extraArgs: flags.sbatchArg,
          }
        : undefined;
      // The launch writes its log (and slurm.sbatch) into the run folder.
      if (!flags.dryRun) {
        checkOutputPaths({
          path: runDir,
          kind: "folder",
          key: "<run-dir>",
          example: "m1 train launch runs/m1-7b",
        });
      }
      const result = await launchRun({
        runDir,
        launcher: flags.launcher,
        nodes: flags.nodes,
        nodeRank: flags.nodeRank,
        headAddress: flags.headAddress,
        headPort: flags.headPort,
        slurm,
        dryRun: flags.dryRun,
        environment: parseEnvironment(flags.env),
        signal: interruptSignal,
      });
      if (!flags.dryRun && !slurm) {
        const checkpoint = latestCheckpoint(runDir);
        process.stderr.write(
          `m1: training exited with code ${result.exitCode}; log: ${result.logPath}\n`,
        );
        if (checkpoint) {
          process.stderr.write(
            `m1: newest checkpoint ${checkpoint}\n    evaluate it: m1 eval -u model_path=${checkpoint},launch=vllm\n`,
          );
        }
      }
      process.exitCode = result.exitCode;
    });
}

function registerDoctor(train: Command): void {
  train
    .command("doctor")
    .description(
      "Check Python, torch + CUDA, transformers, TRL, accelerate and the GPUs; say how to fix",
    )
    .option("--python <path>", "the training environment's interpreter", "python3")
    .option(
      "--timeout <seconds>",
      "how long the Python probe may take",
      integerFlag({ min: 1 }),
      120,
    )
    .option("--json", "print the report as JSON")
    .action(async (flags: { python: string; timeout: number; json?: boolean }) => {
      const report = await runDoctor({ python: flags.python, timeoutMs: flags.timeout * 1000 });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `${renderDoctorReport(report).join("\n")}\n`,
      );
      process.exitCode = report.ready ? 0 : 1;
    });
}

/** 1e-5 rather than 0.00001. */
function shortNumber(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseEnvironment(entries: readonly string[]): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    if (equals <= 0) {
      throw new ConfigError(`'${entry}' is not KEY=VALUE`, {
        key: "--env",
        fix: "write --env NAME=value",
      });
    }
    environment[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return environment;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
