export { money } from '@palisade/kit';
