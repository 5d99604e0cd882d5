import assert from 'node:assert/strict';
import { searchAttributeDeclarations } from '../../common/searchAttributes';

describe('search attributes', function () {
  it('declares the five ekm attributes with the types the dev server registers', function () {
    assert.deepEqual(searchAttributeDeclarations(), [
      'EkmStage=Keyword',
      'EkmProvider=Keyword',
      'EkmKeyId=Keyword',
      'EkmProjectId=Keyword',
      'EkmAwaiting=KeywordList',
    ]);
  });
});
