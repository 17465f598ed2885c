import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const validateSchema = (k: OptionKit) => ({ segment: k.z.string().optional() });
export type ValidateInput = CommandInput<ReturnType<typeof validateSchema>>;

export const validate = defineCommand({
  name: 'validate',
  description:
    "a segment's validation card (distinct, measurable, accessible, substantial, actionable, stable), or every segment's verdicts",
  arguments: [{ name: '[segment]' }],
  schema: validateSchema,
  run: async (input, output) => (await import('../actions/validate.js')).runValidate(input, output),
});
