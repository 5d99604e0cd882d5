// A configured address of a service the worker talks to (OpenAI, a webhook, a cloud's endpoint).
import { z } from 'zod';

export const httpUrl = z
  .string()
  .url('must be a URL such as http://127.0.0.1:5000')
  .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL');
